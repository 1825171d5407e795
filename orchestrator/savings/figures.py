"""From additive sums to the figures managers read. The formulas live here and nowhere else.

Money is computed in decimal from unrounded hours and rounded once, half up, to the currency's smallest
unit (0 decimals for KRW or JPY, 2 for USD or EUR, 3 for BHD...). Net value is value saved minus robot
cost as printed, so the three always add up on a line.
"""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from orchestrator.savings.queries import Sums
from orchestrator.spec import Economics

FORMULAS = {
    "success_rate": "items succeeded / (items succeeded + items failed); cancelled items are left out",
    "items_failed_application": "failed items whose error kind is not business (application, timeout, ...)",
    "robot_hours": "sum of the durations of the items the robot worked / 3600",
    "manual_hours_saved": "(items succeeded x manual_minutes - items failed x exception_minutes) / 60, "
                          "with the robot's minutes as they were when each run was queued",
    "value_saved": "manual hours saved x economics.hourly_cost",
    "robot_cost": "robot hours x economics.robot_hourly_cost",
    "net_value": "value saved - robot cost",
    "fte_equivalent": "manual hours saved / economics.fte_hours_per_year (person-years of work)",
    "fte_annualized": "manual hours saved x 365 / days in the period / economics.fte_hours_per_year "
                      "(the people whose yearly work the robots do at this pace)",
    "period": "a run counts in the period (and the day, week or month) in which it was queued, "
              "in the project's time zone",
    "rounding": "money is rounded once, half up, to the currency's smallest unit",
}

# ISO 4217 currencies whose smallest unit is not the hundredth.
_MINOR_UNITS = {**dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
                                 "UYI", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
                **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3)}


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


def money(value: Decimal, currency: str) -> int | float:
    """A decimal amount rounded to the smallest unit of `currency`, as a JSON-friendly number."""
    digits = minor_units(currency)
    rounded = value.quantize(_QUANTA[digits], rounding=ROUND_HALF_UP)
    return int(rounded) if digits == 0 else float(rounded)


_QUANTA = {digits: Decimal(1).scaleb(-digits) for digits in (0, 1, 2, 3, 4)}
_SIXTY, _HOUR, _YEAR = Decimal(60), Decimal(3600), Decimal(365)


def _dec(value: float) -> Decimal:
    return Decimal(repr(float(value))) if isinstance(value, float) else Decimal(value)


@functools.lru_cache(maxsize=64)
def _rates(currency: str, hourly: float, robot_hourly: float, fte_hours: float) -> tuple[Decimal, Decimal, Decimal]:
    return _dec(hourly), _dec(robot_hourly), _dec(fte_hours)


def figures(sums: Sums, economics: Economics, *, days: float | None = None) -> dict[str, Any]:
    """Every figure of one line of the report (a robot, a period, or the total)."""
    currency = economics.currency
    hourly, robot_hourly, fte_hours = _rates(currency, economics.hourly_cost, economics.robot_hourly_cost,
                                             economics.fte_hours_per_year)
    hours_saved = (_dec(sums.manual_minutes) - _dec(sums.exception_minutes)) / _SIXTY
    robot_hours = _dec(sums.robot_seconds) / _HOUR
    value = money(hours_saved * hourly, currency)
    cost = money(robot_hours * robot_hourly, currency)
    net = value - cost if isinstance(value, int) else money(_dec(value) - _dec(cost), currency)
    finished = sums.succeeded + sums.failed
    out: dict[str, Any] = {
        "runs": sums.runs,
        "runs_failed": sums.runs_failed,
        "items_succeeded": sums.succeeded,
        "items_failed": sums.failed,
        "items_failed_business": sums.failed_business,
        "items_failed_application": sums.failed - sums.failed_business,
        "items_cancelled": sums.cancelled,
        "success_rate": round(sums.succeeded / finished, 6) if finished else None,
        "robot_seconds": round(sums.robot_seconds, 3),
        "robot_hours": round(float(robot_hours), 6),
        "manual_hours_saved": round(float(hours_saved), 6),
        "value_saved": value,
        "robot_cost": cost,
        "net_value": net,
        "fte_equivalent": round(float(hours_saved / fte_hours), 6),
    }
    if days:
        out["fte_annualized"] = round(float(hours_saved * _YEAR / _dec(days) / fte_hours), 6)
    return out
