"""Business calendars: weekends, public holidays (the `holidays` package) and closed dates.

`holidays:` takes a country code (KR, US, DE; with `subdivision:` for a state or province) or a stock
exchange code (XKRX, XNYS) for market holidays.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from orchestrator.spec import Calendar


def holiday_problem(code: str, subdivision: str | None, language: str | None) -> tuple[str, str] | None:
    """(field, message) when the holiday options cannot be used, else None."""
    import holidays

    countries = holidays.list_supported_countries()
    markets = holidays.list_supported_financial()
    upper = code.upper()
    if upper in countries:
        subdivisions = countries[upper]
    elif upper in markets:
        subdivisions = markets[upper]
    else:
        from orchestrator.actions import suggest

        hint = suggest(upper, [*countries, *markets])
        return "holidays", (f"unknown holiday country or market {code!r}{hint}: use an ISO 3166 code such as "
                            "KR, US, DE, or an exchange such as XKRX, XNYS")
    if subdivision is not None and subdivision not in subdivisions:
        listed = ", ".join(subdivisions[:30]) + (" ..." if len(subdivisions) > 30 else "")
        return "subdivision", (f"{upper} has no subdivision {subdivision!r}"
                               + (f"; it has: {listed}" if subdivisions else "; it has none"))
    if language is not None:
        supported = getattr(_holidays(upper, subdivision, None, 2000), "supported_languages", ())
        if supported and language not in supported:
            return "language", f"holiday names for {upper} come in: {', '.join(supported)}; not {language!r}"
    return None


@lru_cache(maxsize=256)
def _holidays(code: str, subdivision: str | None, language: str | None, year: int) -> Any:
    import holidays

    options: dict[str, Any] = {"years": year}
    if subdivision:
        options["subdiv"] = subdivision
    if language:
        options["language"] = language
    if code in holidays.list_supported_countries():
        return holidays.country_holidays(code, **options)
    return holidays.financial_holidays(code, **options)


class BusinessCalendar:
    """Says whether a local date is closed, and why."""

    def __init__(self, spec: Calendar | None):
        self.spec = spec or Calendar()
        self.closed = {dt.date.fromisoformat(d) for d in self.spec.closed}
        self.code = self.spec.holidays.upper() if self.spec.holidays else None

    def __bool__(self) -> bool:
        return bool(self.code or self.closed or self.spec.skip_weekends or self.spec.business_day)

    def holiday(self, day: dt.date) -> str | None:
        if not self.code:
            return None
        table = _holidays(self.code, self.spec.subdivision, self.spec.language, day.year)
        name = table.get(day)
        return str(name) if name else None

    def reasons(self, day: dt.date) -> list[str]:
        """Why `day` is closed (empty when it is a business day)."""
        out = []
        if day in self.closed:
            out.append("closed date")
        name = self.holiday(day)
        if name:
            out.append(f"holiday: {name}")
        if self.spec.skip_weekends and day.weekday() >= 5:
            out.append("weekend")
        return out

    def closed_reason(self, day: dt.date) -> str | None:
        reasons = self.reasons(day)
        if not reasons and self.spec.business_day and day != self.business_day_of(day):
            reasons = [f"not the {self.spec.business_day} business day of the month"]
        return "; ".join(reasons) if reasons else None

    def business_day_of(self, day: dt.date) -> dt.date | None:
        """The first or last open day of `day`'s month (`business_day:`), None when the month has none."""
        first = day.replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        step = dt.timedelta(days=1 if self.spec.business_day == "first" else -1)
        current = first if self.spec.business_day == "first" else last
        while first <= current <= last:
            if not self.reasons(current):
                return current
            current += step
        return None
