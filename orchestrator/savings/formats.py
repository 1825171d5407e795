"""The report as a terminal table, CSV or an Excel workbook (the HTML report is in `html`)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

# (key, heading) of the columns every tabular format shows, in order.
COLUMNS = [
    ("runs", "runs"),
    ("runs_failed", "runs failed"),
    ("items_succeeded", "items ok"),
    ("items_failed", "items failed"),
    ("items_failed_business", "failed: business"),
    ("items_failed_application", "failed: application"),
    ("items_cancelled", "items cancelled"),
    ("success_rate", "success rate"),
    ("robot_hours", "robot hours"),
    ("manual_hours_saved", "manual hours saved"),
    ("value_saved", "value saved"),
    ("robot_cost", "robot cost"),
    ("net_value", "net value"),
    ("fte_equivalent", "FTE"),
    ("fte_annualized", "FTE a year"),
]


# The terminal shows fewer, shorter columns (failures as "business/application").
TABLE_COLUMNS = [("runs_split", "runs (failed)"), ("items_succeeded", "ok"), ("failed_split", "failed (bus/app)"),
                 ("success_rate", "success"), ("robot_hours", "robot h"), ("manual_hours_saved", "saved h"),
                 ("value_saved", "value saved"), ("robot_cost", "robot cost"), ("net_value", "net value"),
                 ("fte_equivalent", "FTE")]


def rows(report: dict[str, Any], *, by_period: bool) -> list[dict[str, Any]]:
    """Flat lines: one per robot (and period) plus totals, ready for CSV or a sheet."""
    out: list[dict[str, Any]] = []
    if by_period:
        for bucket in report.get("periods", []):
            for line in bucket["robots"]:
                out.append({"period": bucket["period"], **line})
            out.append({"period": bucket["period"], "robot": "TOTAL", **bucket["total"]})
    else:
        out.extend(report["robots"])
    out.append({"period": "all", "robot": "TOTAL", **report["total"]} if by_period
               else {"robot": "TOTAL", **report["total"]})
    return out


def to_csv(report: dict[str, Any], *, by_period: bool) -> str:
    keys = (["period"] if by_period else []) + ["robot"] + [k for k, _ in COLUMNS]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for line in rows(report, by_period=by_period):
        writer.writerow({k: ("" if line.get(k) is None else line.get(k)) for k in keys})
    return buffer.getvalue()


def to_xlsx(report: dict[str, Any], path: Path) -> None:
    """A workbook: Summary (per robot), By period, Failures, Formulas."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheets = [("Summary", rows(report, by_period=False), ["robot"]),
              ("By period", rows(report, by_period=True), ["period", "robot"])]
    first = True
    for title, lines, lead in sheets:
        sheet = book.active if first else book.create_sheet(title)
        sheet.title, first = title, False
        sheet.append(lead + [h for _, h in COLUMNS])
        for line in lines:
            sheet.append([line.get(k) for k in lead] + [line.get(k) for k, _ in COLUMNS])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    failures = book.create_sheet("Failures")
    failures.append(["robot", "error kind", "step", "items", "example"])
    for reason in report["failures"]:
        failures.append([reason["robot"], reason["error_kind"], reason["step"], reason["count"],
                         reason.get("example")])
    formulas = book.create_sheet("Formulas")
    formulas.append(["figure", "formula"])
    for name, text in report["formulas"].items():
        formulas.append([name, text])
    economics = report["economics"]
    formulas.append([])
    for key in ("currency", "hourly_cost", "robot_hourly_cost", "fte_hours_per_year"):
        formulas.append([f"economics.{key}", economics[key]])
    book.save(path)


def render_table(report: dict[str, Any], *, by_period: bool) -> Any:
    """rich renderables for the terminal."""
    from rich.console import Group
    from rich.markup import escape
    from rich.table import Table

    currency = report["currency"]
    period = report["period"]
    span = f"{period.get('since') or 'start'} .. {period.get('until') or 'now'}"
    parts: list[Any] = []
    lines = rows(report, by_period=by_period)
    table = Table(title=f"Savings ({currency}), {span}, {period['timezone']}")
    lead = ["period", "robot"] if by_period else ["robot"]
    for column in lead:
        table.add_column(column)
    for _, heading in TABLE_COLUMNS:
        table.add_column(heading, justify="right")
    for line in lines:
        # a run that fails before it has items (a missing inbox) shows here, not among the items
        line = {**line, "failed_split": f"{line['items_failed']} ({line['items_failed_business']}/"
                                        f"{line['items_failed_application']})",
                "runs_split": f"{line['runs']} ({line['runs_failed']})" if line.get("runs_failed") else line["runs"]}
        table.add_row(*[str(line.get(k, "")) for k in lead], *[_cell(k, line.get(k)) for k, _ in TABLE_COLUMNS],
                      style="bold" if line.get("robot") == "TOTAL" else None)
    parts.append(table)
    if report["failures"]:
        failures = Table(title="Top failure reasons")
        for column in ("robot", "kind", "step", "items", "example"):
            failures.add_column(column, justify="right" if column == "items" else "left")
        for reason in report["failures"]:
            failures.add_row(*map(escape, (reason["robot"], reason["error_kind"], reason["step"] or "-",
                                           str(reason["count"]), clipped(reason.get("example"), 80))))
        parts.append(failures)
    from rich.text import Text

    economics = report["economics"]
    parts.append(Text(
        "saved h = (ok items x manual_minutes - failed items x exception_minutes) / 60; value saved = saved h x "
        f"{economics['hourly_cost']:g}; robot cost = robot h x {economics['robot_hourly_cost']:g}; "
        f"net = value - cost; FTE = saved h / {economics['fte_hours_per_year']:g}; success = ok / (ok + failed). "
        "Details: --format json (formulas) or docs/savings.md", style="dim"))
    return Group(*parts)


def clipped(text: str | None, width: int) -> str:
    """A message cut to `width` at a word, marked with an ellipsis (a cut in the middle of a list of options
    reads as if the list were empty)."""
    import textwrap

    return textwrap.shorten(text or "", width, placeholder=" …")


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key == "success_rate":
        return f"{value * 100:.1f}%"
    if key in ("robot_hours", "manual_hours_saved"):
        return f"{value:,.2f}"
    if key == "fte_equivalent":
        return f"{value:.3f}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)
