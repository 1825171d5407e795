"""What the run page and GET /api/runs/{id} show: items, attempts, artifacts and log lines of one run.

The shape is that of `retake runs show --json` (items_detail, each with its deliveries, step attempts,
error and artifacts), plus a URL for each artifact and for the log, and the item counts by status."""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from sqlalchemy import func, select

from orchestrator.cli.common import iso
from orchestrator.ledger.db import reading
from orchestrator.ledger.tables import artifacts, attempts, items


def run_details(ledger: Any, run_id: str, *, status: str | None = None, limit: int = 1000,
                offset: int = 0) -> dict[str, Any]:
    """Items (a page of them), their attempts and artifacts; counts by status for the whole run."""
    query = select(items).where(items.c.run_id == run_id)
    if status:
        query = query.where(items.c.status == status)
    with reading(ledger.engine) as conn:
        rows = [dict(r._mapping) for r in conn.execute(query.order_by(items.c.idx).offset(offset).limit(limit))]
        ids = [r["id"] for r in rows]
        tries = [dict(r._mapping) for r in conn.execute(
            select(attempts).where(attempts.c.item_id.in_(ids)).order_by(attempts.c.item_id, attempts.c.id))] \
            if ids else []
        files = [dict(r._mapping) for r in conn.execute(
            select(artifacts).where(artifacts.c.run_id == run_id).order_by(artifacts.c.id))]
        counts = dict(conn.execute(select(items.c.status, func.count()).where(items.c.run_id == run_id)
                                   .group_by(items.c.status)).all())
    by_item: dict[int, list[dict[str, Any]]] = {}
    for attempt in tries:
        by_item.setdefault(attempt["item_id"], []).append(
            {"step": attempt["step"], "number": attempt["number"], "status": attempt["status"],
             "started_at": iso(attempt["started_at"]), "duration_s": attempt["duration_s"],
             "error_kind": attempt["error_kind"], "error_message": attempt["error_message"]})
    files_by_item: dict[int | None, list[dict[str, Any]]] = {}
    for entry in files:
        files_by_item.setdefault(entry["item_id"], []).append(artifact_entry(entry))
    return {
        "item_counts": counts,
        "items_page": {"offset": offset, "limit": limit, "status": status},
        "items_detail": [{"index": r["idx"], "key": r["key"], "status": r["status"], "deliveries": r["attempts"],
                          "started_at": iso(r["started_at"]), "finished_at": iso(r["finished_at"]),
                          "duration_s": r["duration_s"], "data": r["data"], "output": r["output"],
                          "error": ({"kind": r["error_kind"], "message": r["error_message"],
                                     "step": r["error_step"]} if r["error_kind"] else None),
                          "attempts": by_item.get(r["id"], []),
                          "artifacts": files_by_item.get(r["id"], [])} for r in rows],
        "artifacts": files_by_item.get(None, []),
        "all_artifacts": [artifact_entry(e) for e in files],
        "log": f".retake/runs/{run_id}/log.jsonl",
        "log_url": f"/api/runs/{run_id}/log",
    }


def artifact_entry(entry: dict[str, Any]) -> dict[str, Any]:
    return {"kind": entry["kind"], "path": entry["path"], "step": entry["step"], "url": f"/files/{entry['path']}",
            "created_at": iso(entry["created_at"])}


def log_lines(loaded: Any, run_id: str, *, tail: int = 500) -> list[dict[str, Any]]:
    """The last `tail` lines of the run's log.jsonl (time, level, item, step, message)."""
    path = loaded.runs_dir / run_id / "log.jsonl"
    if "/" in run_id or "\\" in run_id or ".." in run_id or not path.is_file():
        return []
    out = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in deque(handle, maxlen=tail):
            try:
                data = json.loads(line)
            except ValueError:
                out.append({"message": line.rstrip()})
                continue
            record = data.get("record", data)
            extra = record.get("extra", {}) if isinstance(record, dict) else {}
            out.append({"time": (record.get("time") or {}).get("repr") if isinstance(record.get("time"), dict)
                        else record.get("time"),
                        "level": (record.get("level") or {}).get("name") if isinstance(record.get("level"), dict)
                        else record.get("level"),
                        "item": extra.get("item"), "step": extra.get("step"),
                        "message": record.get("message", data.get("text", ""))})
    return out
