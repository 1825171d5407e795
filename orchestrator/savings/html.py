"""The HTML report: one self-contained file (inline CSS and SVG, no script, no network) for e-mail or a share."""

from __future__ import annotations

from html import escape
from typing import Any

from orchestrator.savings.charts import bar_chart, hbar_chart, rate_chart
from orchestrator.savings.formats import COLUMNS

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans KR","NanumGothic",sans-serif;margin:0;color:#222;
background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:16px 24px}
h1{font-size:1.5em;margin:.4em 0}h2{font-size:1.15em;margin:1.4em 0 .5em}
.muted{color:#666}.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #e2e4e8;border-radius:8px;padding:10px 14px;min-width:150px}
.card .label{color:#666;font-size:.85em}.card .value{font-size:1.4em;font-weight:600}
.delta.up{color:#2e7d32}.delta.down{color:#c62828}
table{border-collapse:collapse;background:#fff;width:100%;font-size:.9em}
th,td{border-bottom:1px solid #e6e6e6;padding:5px 8px;text-align:right}
th:first-child,td:first-child,td.text,th.text{text-align:left}
tr.total td{font-weight:600;background:#fafafa}
.chart{background:#fff;border:1px solid #e2e4e8;border-radius:8px;width:100%;max-width:640px;height:auto}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:12px}
.status-succeeded{color:#2e7d32}.status-failed{color:#c62828}.status-partial{color:#ef6c00}
.status-running,.status-queued{color:#1565c0}.status-cancelled{color:#777}
nav{background:#263238;color:#fff;padding:8px 24px}nav a{color:#fff;margin-right:16px;text-decoration:none}
code,pre{font-family:ui-monospace,monospace;font-size:.85em}pre{background:#fff;border:1px solid #e2e4e8;
padding:8px;overflow:auto;max-height:420px}
dl.formulas dt{font-weight:600}dl.formulas dd{margin:0 0 6px 0;color:#444}
"""


def fmt(key: str, value: Any, currency: str = "") -> str:
    """A figure as people read it."""
    if value is None:
        return "-"
    if key == "success_rate":
        return f"{value * 100:.1f}%"
    if key in ("robot_hours", "manual_hours_saved"):
        return f"{value:,.1f}"
    if key.startswith("fte"):
        return f"{value:.2f}"
    if key in ("value_saved", "robot_cost", "net_value"):
        text = f"{value:,.0f}" if isinstance(value, int) else f"{value:,.2f}"
        return f"{text} {currency}".strip()
    return f"{value:,}" if isinstance(value, int) else str(value)


def figures_table(lines: list[dict[str, Any]], total: dict[str, Any] | None, currency: str, *,
                  link: str | None = None) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for _, h in COLUMNS)
    body = []
    for line in lines:
        name = escape(line["robot"])
        if link:
            name = f'<a href="{escape(link.format(robot=line["robot"]))}">{name}</a>'
        body.append(f'<tr data-robot="{escape(line["robot"])}"><td class="text">{name}</td>'
                    + "".join(f'<td data-key="{k}">{escape(fmt(k, line.get(k), currency))}</td>'
                              for k, _ in COLUMNS) + "</tr>")
    if total is not None:
        body.append('<tr class="total" data-robot="TOTAL"><td class="text">Total</td>'
                    + "".join(f'<td data-key="{k}">{escape(fmt(k, total.get(k), currency))}</td>'
                              for k, _ in COLUMNS) + "</tr>")
    return f'<table class="figures"><thead><tr><th class="text">robot</th>{head}</tr></thead>' \
           f"<tbody>{''.join(body)}</tbody></table>"


def failures_table(reasons: list[dict[str, Any]]) -> str:
    if not reasons:
        return '<p class="muted">No failed items in this period.</p>'
    rows = "".join(f'<tr><td class="text">{escape(r["robot"])}</td><td class="text">{escape(r["error_kind"])}</td>'
                   f'<td class="text">{escape(r["step"] or "-")}</td><td>{r["count"]:,}</td>'
                   f'<td class="text">{escape((r.get("example") or "")[:160])}</td></tr>' for r in reasons)
    return ('<table class="failures"><thead><tr><th class="text">robot</th><th class="text">kind</th>'
            '<th class="text">step</th><th>items</th><th class="text">example</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def charts(report: dict[str, Any]) -> str:
    periods = report.get("periods") or []
    labels = [p["period"] for p in periods]
    currency = report["currency"]
    reasons = report["failures"]
    return ('<div class="charts">'
            + bar_chart(labels, [p["total"]["value_saved"] for p in periods],
                        title=f"Value saved per {report['period'].get('by') or 'period'} ({currency})",
                        unit=currency)
            + rate_chart(labels, [p["total"]["success_rate"] for p in periods], title="Success rate")
            + hbar_chart([f"{r['robot']} / {r['error_kind']} / {r['step'] or '-'}" for r in reasons],
                         [r["count"] for r in reasons], title="Failed items by reason")
            + "</div>")


def formulas(report: dict[str, Any]) -> str:
    economics = report["economics"]
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in report["formulas"].items())
    values = ", ".join(f"{k} = {escape(str(economics[k]))}"
                       for k in ("currency", "hourly_cost", "robot_hourly_cost", "fte_hours_per_year"))
    return f'<dl class="formulas">{items}</dl><p class="muted">economics: {values}</p>'


def cards(total: dict[str, Any], currency: str, previous: dict[str, Any] | None = None) -> str:
    out = []
    for key, label in (("value_saved", "Value saved"), ("net_value", "Net value"),
                       ("manual_hours_saved", "Manual hours saved"), ("items_succeeded", "Items done"),
                       ("success_rate", "Success rate"), ("fte_equivalent", "FTE (person-years)")):
        delta = ""
        if previous is not None and total.get(key) is not None and previous.get(key) is not None:
            diff = total[key] - previous[key]
            sign = "up" if diff > 0 else "down" if diff < 0 else ""
            shown = fmt(key, abs(diff), currency) if key != "success_rate" else f"{abs(diff) * 100:.1f} pts"
            delta = (f'<div class="delta {sign}">{"+" if diff > 0 else "-" if diff < 0 else "±"}'
                     f"{escape(shown)} vs previous</div>")
        out.append(f'<div class="card" data-card="{key}"><div class="label">{label}</div>'
                   f'<div class="value">{escape(fmt(key, total.get(key), currency))}</div>{delta}</div>')
    return f'<div class="cards">{"".join(out)}</div>'


def render_html(report: dict[str, Any]) -> str:
    currency = report["currency"]
    period = report["period"]
    span = f"{period.get('since') or 'the first run'} to {period.get('until') or 'now'}"
    title = f"Savings report{' — ' + report['project'] if report.get('project') else ''}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(title)}</title><style>{CSS}</style></head>
<body><main>
<h1>{escape(title)}</h1>
<p class="muted">{escape(span)} ({escape(period['timezone'])}), by {escape(str(period.get('by') or '-'))};
amounts in {escape(currency)}.</p>
{cards(report['total'], currency)}
<h2>Per robot</h2>
{figures_table(report['robots'], report['total'], currency)}
<h2>Over time</h2>
{charts(report)}
<h2>Top failure reasons</h2>
{failures_table(report['failures'])}
<h2>How the figures are computed</h2>
{formulas(report)}
</main></body></html>
"""
