"""HTML of the dashboard pages (server-rendered; a few lines of script refresh them while runs progress)."""

from __future__ import annotations

from html import escape
from typing import Any

from orchestrator.savings.html import CSS, cards, charts, failures_table, figures_table, fmt

LIVE_JS = """
(function(){const live=document.getElementById('live');if(!live)return;const every=+live.dataset.every||3000;
async function tick(){if(live.dataset.done==='1')return;try{const u=new URL(location.href);
u.searchParams.set('fragment','1');const r=await fetch(u,{credentials:'same-origin'});
if(r.ok){live.innerHTML=await r.text();const m=live.querySelector('[data-done]');
if(m)live.dataset.done=m.dataset.done;live.dataset.updated=String(Date.now());}}catch(e){}
setTimeout(tick,every);}setTimeout(tick,every);})();
async function act(url){const r=await fetch(url,{method:'POST',credentials:'same-origin'});
const body=await r.json().catch(()=>({}));if(r.ok&&body.url){location.href=body.url}else{
alert(body.detail||('failed: '+r.status))}}
"""


def page(title: str, body: str, *, user: dict[str, Any] | None = None, every: int = 3000, done: bool = False) -> str:
    who = (f'<span style="float:right">{escape(user["name"])} ({escape(user["role"])}) · '
           f'<a href="/logout">sign out</a></span>') if user else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{escape(title)} · Retake</title>
<style>{CSS}</style></head><body>
<nav><a href="/"><b>Retake</b></a><a href="/">Overview</a><a href="/docs">API</a>{who}</nav>
<main><div id="live" data-every="{every}" data-done="{'1' if done else '0'}">{body}</div></main>
<script>{LIVE_JS}</script></body></html>"""


def login_page(next_url: str, error: str | None = None) -> str:
    message = f'<p class="status-failed" id="error">{escape(error)}</p>' if error else ""
    return page("Sign in", f"""<h1>Sign in</h1>{message}
<form method="post" action="/login"><input type="hidden" name="next" value="{escape(next_url)}">
<p><label>API token<br><input type="password" name="token" id="token" size="60" autocomplete="off"
required></label></p><p><button type="submit" id="sign-in">Sign in</button></p></form>
<p class="muted">Ask an admin for a token: <code>retake token create --role viewer</code></p>""", done=True)


def period_links(path: str, days: int) -> str:
    links = [f'<a href="{escape(path)}?days={d}"{" style=font-weight:bold" if d == days else ""}>'
             f'{"today" if d == 1 else f"{d} days"}</a>' for d in (1, 7, 30, 90, 365)]
    return f'<p class="muted">Period: {" · ".join(links)}</p>'


def comparison_table(now: dict[str, Any], before: dict[str, Any], currency: str) -> str:
    previous = {line["robot"]: line for line in before["robots"]}
    keys = [("runs", "runs"), ("items_succeeded", "items ok"), ("items_failed", "failed"),
            ("success_rate", "success rate"), ("manual_hours_saved", "hours saved"), ("value_saved", "value saved"),
            ("net_value", "net value")]
    head = "".join(f"<th>{h}</th><th class='muted'>prev.</th>" for _, h in keys)
    rows = []
    for line in [*now["robots"], {"robot": "TOTAL", **now["total"]}]:
        old = before["total"] if line["robot"] == "TOTAL" else previous.get(line["robot"], {})
        name = escape(line["robot"]) if line["robot"] == "TOTAL" else \
            f'<a href="/robots/{escape(line["robot"])}">{escape(line["robot"])}</a>'
        cells = "".join(f'<td data-key="{k}">{escape(fmt(k, line.get(k), currency))}</td>'
                        f'<td class="muted">{escape(fmt(k, old.get(k), currency))}</td>' for k, _ in keys)
        rows.append(f'<tr data-robot="{escape(line["robot"])}"'
                    f'{" class=total" if line["robot"] == "TOTAL" else ""}><td class="text">{name}</td>{cells}</tr>')
    return (f'<table class="figures"><thead><tr><th class="text">robot</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def runs_table(records: list[dict[str, Any]]) -> str:
    if not records:
        return '<p class="muted">No runs yet.</p>'
    rows = "".join(
        f'<tr><td class="text"><a href="/runs/{escape(r["run_id"])}">{escape(r["run_id"])}</a></td>'
        f'<td class="text"><a href="/robots/{escape(r["robot"])}">{escape(r["robot"])}</a></td>'
        f'<td class="text status-{escape(r["status"])}">{escape(r["status"])}</td>'
        f'<td>{r["items"]["succeeded"]}/{r["items"]["total"]}</td><td>{r["items"]["failed"]}</td>'
        f'<td class="text">{escape(r["trigger"])}</td><td class="text">{escape(str(r.get("queued_local") or r["queued_at"] or ""))}</td>'
        f'<td>{_secs(r["duration_s"], 1)}</td></tr>' for r in records)
    return ('<table class="runs"><thead><tr><th class="text">run</th><th class="text">robot</th>'
            '<th class="text">status</th><th>items ok</th><th>failed</th><th class="text">trigger</th>'
            f'<th class="text">queued</th><th>duration</th></tr></thead><tbody>{rows}</tbody></table>')


def overview(now: dict[str, Any], before: dict[str, Any], recent: list[dict[str, Any]], days: int | None) -> str:
    currency = now["currency"]
    period = now["period"]
    query = f"days={days}" if days else f"since={period['since']}&until={period['until']}"
    downloads = " · ".join(f'<a class="download" href="/download/report.{fmt}?{escape(query)}">{label}</a>'
                           for fmt, label in (("html", "HTML report"), ("csv", "CSV"), ("xlsx", "Excel")))
    chooser = (f'<form method="get" action="/" class="muted">or from <input type="date" name="since" '
               f'value="{escape(str(period["since"]))}"> to <input type="date" name="until" '
               f'value="{escape(str(period["until"]))}"> <button type="submit">Show</button></form>')
    return (f"<h1>Savings overview</h1>{period_links('/', days or 0)}{chooser}"
            f'<p class="muted">{escape(period["since"])} to {escape(period["until"])} '
            f'({escape(period["timezone"])}) against the same number of days before; amounts in '
            f"{escape(currency)}. Download: {downloads}</p>"
            f"{cards(now['total'], currency, before['total'])}<h2>Per robot</h2>"
            f"{comparison_table(now, before, currency)}<h2>Trend</h2>{charts(now)}"
            f"<h2>Top failure reasons</h2>{failures_table(now['failures'])}"
            f"<h2>Recent runs</h2>{runs_table(recent)}")


def robot_page(name: str, data: dict[str, Any], recent: list[dict[str, Any]], days: int,
               description: str) -> str:
    currency = data["currency"]
    line = next((r for r in data["robots"] if r["robot"] == name), None) or {"robot": name, **data["total"]}
    return (f"<h1>Robot {escape(name)}</h1><p>{escape(description)}</p>{period_links(f'/robots/{name}', days)}"
            f"{cards(line, currency)}<h2>Figures</h2>{figures_table([line], None, currency)}"
            f"<h2>Trend</h2>{charts(data)}<h2>Failures</h2>{failures_table(data['failures'])}"
            f"<h2>Runs</h2>{runs_table(recent)}")


def run_page(run: dict[str, Any], details: dict[str, Any], log: list[dict[str, Any]], *, operator: bool) -> str:
    finished = run["status"] in ("succeeded", "partial", "failed", "cancelled")
    buttons = ""
    if operator:
        if not finished:
            buttons += f'<button id="cancel" onclick="act(\'/api/runs/{escape(run["run_id"])}/cancel\')">Cancel</button> '
        elif run["items"]["failed"]:
            buttons += (f'<button id="rerun" onclick="act(\'/api/runs/{escape(run["run_id"])}/rerun\')">'
                        "Rerun failed items</button>")
    counts = ", ".join(f"{escape(k)}: {v}" for k, v in sorted(details["item_counts"].items()))
    head = (f'<h1>Run {escape(run["run_id"])}</h1><p data-done="{"1" if finished else "0"}">'
            f'<a href="/robots/{escape(run["robot"])}">{escape(run["robot"])}</a> · '
            f'<b class="status-{escape(run["status"])}" id="run-status">{escape(run["status"])}</b> · items {counts}'
            f' · trigger {escape(run["trigger"])} · queued {escape(str(run.get("queued_local") or run["queued_at"]))}'
            f' · {_secs(run["duration_s"], 1)}</p>'
            f'{_error_line(run["error"])}'
            f"<p>{buttons}</p>")
    rows = []
    for item in details["items_detail"]:
        error = item["error"]
        tries = "; ".join(f'{escape(a["step"])} #{a["number"]} {escape(a["status"])}'
                          f'{": " + escape((a["error_message"] or "")[:80]) if a["error_message"] else ""}'
                          for a in item["attempts"])
        files = " ".join(_artifact_link(a) for a in item["artifacts"])
        rows.append(f'<tr data-item="{escape(item["key"])}"><td>{item["index"]}</td>'
                    f'<td class="text">{escape(item["key"])}</td>'
                    f'<td class="text status-{escape(item["status"])}">{escape(item["status"])}</td>'
                    f'<td>{item["deliveries"]}</td><td>{_secs(item["duration_s"], 2)}</td>'
                    f'<td class="text">{escape(error["kind"]) if error else ""}</td>'
                    f'<td class="text">{escape(error["step"] or "") if error else ""}</td>'
                    f'<td class="text">{escape((error["message"] or "")[:300]) if error else ""}</td>'
                    f'<td class="text">{tries}</td><td class="text">{files}</td></tr>')
    items = ('<table class="items"><thead><tr><th>#</th><th class="text">item</th><th class="text">status</th>'
             '<th>tries</th><th>duration</th><th class="text">error kind</th><th class="text">step</th>'
             '<th class="text">message</th><th class="text">step attempts</th><th class="text">evidence</th>'
             f'</tr></thead><tbody>{"".join(rows)}</tbody></table>')
    run_files = details["all_artifacts"]
    files_html = "".join(f"<li>{_artifact_link(a)} <span class='muted'>{escape(a['path'])}</span></li>"
                         for a in run_files) or "<li class='muted'>none</li>"
    log_text = "\n".join(f'{escape(str(line.get("time") or ""))[:23]} {escape(str(line.get("level") or ""))} '
                         f'{escape(str(line.get("item") or "-"))}/{escape(str(line.get("step") or "-"))} '
                         f'{escape(str(line.get("message") or ""))}' for line in log)
    base = f'/runs/{escape(run["run_id"])}'
    filters = (f'<p class="muted">Show: <a href="{base}">all items</a> · <a id="only-failed" '
               f'href="{base}?status=failed">failed only</a> (the first 2,000 are listed)</p>')
    return (f"{head}<h2>Items</h2>{filters}{items}<h2>Artifacts</h2><ul>{files_html}</ul>"
            f'<h2>Log</h2><pre id="log">{log_text or "(no log lines)"}</pre>')


def _artifact_link(entry: dict[str, Any]) -> str:
    url, kind = escape(entry["url"]), escape(entry["kind"])
    if entry["kind"] == "screenshot" or entry["path"].endswith((".png", ".jpg", ".jpeg")):
        return (f'<a class="artifact" data-kind="{kind}" href="{url}" target="_blank">'
                f'<img src="{url}" alt="{kind}" style="max-height:48px;vertical-align:middle"> {kind}</a>')
    return f'<a class="artifact" data-kind="{kind}" href="{url}" download>{kind}</a>'


def _secs(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}s"


def _error_line(error: str | None) -> str:
    return f'<p class="status-failed">{escape(error)}</p>' if error else ""
