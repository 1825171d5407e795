"""Exactly-once claims in the ledger's database: a slot or a file belongs to the scheduler that inserts it.

The claim is one INSERT ... ON CONFLICT DO NOTHING against a unique constraint, so two schedulers on the
same database never both fire a (schedule, slot), on SQLite or PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, and_, func, select, update
from sqlalchemy.exc import IntegrityError

from orchestrator.ledger.db import reading
from orchestrator.ledger.tables import runs
from orchestrator.scheduling.tables import firings, trigger_files
from orchestrator.states import RunStatus

UTC = dt.UTC
OPEN_RUN_STATES = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)


class FiringStatus:
    CLAIMED = "claimed"    # taken by a scheduler, run not queued yet
    FIRED = "fired"        # a run was queued: run_id says which
    SKIPPED = "skipped"    # closed day (calendar) or a previous run still open (overlap: skip)
    MISSED = "missed"      # the scheduler was down past grace, or misfire: skip / once coalesced it
    FAILED = "failed"      # the run could not be queued (e.g. bad inputs): reason says why


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _insert_ignore(engine: Engine, table: Any, values: dict[str, Any]) -> int | None:
    """Insert a row unless it breaks a unique constraint; its id, or None when someone had it first."""
    dialect = engine.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - other databases: the constraint still decides
        from sqlalchemy import insert as plain

        try:
            with engine.begin() as conn:
                return conn.execute(plain(table).values(**values)).inserted_primary_key[0]
        except IntegrityError:
            return None
    stmt = insert(table).values(**values).on_conflict_do_nothing().returning(table.c.id)
    with engine.begin() as conn:
        return conn.execute(stmt).scalar()


class Claims:
    """The scheduler's reads and writes of `firings` and `trigger_files` for one project."""

    def __init__(self, engine: Engine, *, project: str, scheduler: str):
        self.engine = engine
        self.project = project
        self.scheduler = scheduler

    # slots ------------------------------------------------------------------------
    def claim(self, schedule: str, slot: dt.datetime, *, status: str = FiringStatus.CLAIMED,
              reason: str | None = None, now: dt.datetime | None = None, run_id: str | None = None) -> int | None:
        """Take (schedule, slot) with `status`; the firing's id, or None when another scheduler has it.
        `run_id`: the id the slot's run will have, so that a scheduler taking the claim over can tell
        whether the run was made."""
        return _insert_ignore(self.engine, firings, {
            "project": self.project, "schedule": schedule, "slot": slot.astimezone(UTC), "status": status,
            "reason": reason, "scheduler": self.scheduler, "claimed_at": now or utcnow(), "run_id": run_id})

    def settle(self, firing_id: int, *, status: str, run_id: str | None = None, reason: str | None = None,
               now: dt.datetime | None = None) -> None:
        values: dict[str, Any] = {"status": status, "run_id": run_id, "reason": reason}
        if status == FiringStatus.FIRED:
            values["fired_at"] = now or utcnow()
        with self.engine.begin() as conn:
            conn.execute(update(firings).where(firings.c.id == firing_id).values(**values))

    def stale_claims(self, older_than: dt.datetime) -> list[dict[str, Any]]:
        """Claims whose scheduler stopped between claiming a slot and queuing its run (or hangs there)."""
        with reading(self.engine) as conn:
            rows = [dict(r._mapping) for r in conn.execute(select(firings).where(and_(
                firings.c.project == self.project, firings.c.status == FiringStatus.CLAIMED,
                firings.c.claimed_at < older_than)).order_by(firings.c.slot))]
        for row in rows:
            row["slot"] = _aware(row["slot"])
        return rows

    def take_over(self, firing_id: int, older_than: dt.datetime, now: dt.datetime | None = None) -> bool:
        """Make a stale claim this scheduler's; False when another scheduler took it first."""
        with self.engine.begin() as conn:
            result = conn.execute(update(firings).where(and_(
                firings.c.id == firing_id, firings.c.status == FiringStatus.CLAIMED,
                firings.c.claimed_at < older_than)).values(scheduler=self.scheduler, claimed_at=now or utcnow()))
        return result.rowcount == 1

    def last_slot(self, schedule: str) -> dt.datetime | None:
        with reading(self.engine) as conn:
            value = conn.execute(select(func.max(firings.c.slot)).where(and_(
                firings.c.project == self.project, firings.c.schedule == schedule))).scalar()
        return _aware(value)

    def history(self, schedule: str | None = None, *, limit: int = 20) -> list[dict[str, Any]]:
        query = (select(firings).where(firings.c.project == self.project)
                 .order_by(firings.c.slot.desc(), firings.c.id.desc()).limit(limit))
        if schedule:
            query = query.where(firings.c.schedule == schedule)
        with reading(self.engine) as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        for row in rows:
            for key in ("slot", "claimed_at", "fired_at"):
                row[key] = _aware(row[key])
        return rows

    def file_history(self, schedule: str, *, limit: int = 20) -> list[dict[str, Any]]:
        """The files a file trigger handled, newest first, in the shape of `history` (`slot`: when seen)."""
        query = (select(trigger_files).where(and_(trigger_files.c.project == self.project,
                                                  trigger_files.c.schedule == schedule))
                 .order_by(trigger_files.c.seen_at.desc(), trigger_files.c.id.desc()).limit(limit))
        with reading(self.engine) as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        return [{**row, "slot": _aware(row["seen_at"]), "file": row["path"]} for row in rows]

    def open_runs(self, schedule: str) -> list[str]:
        """Runs this schedule started (by slot or by file) that are still queued or running."""
        found: list[str] = []
        with reading(self.engine) as conn:
            for table in (firings, trigger_files):
                found += conn.execute(select(runs.c.id).join(table, table.c.run_id == runs.c.id).where(and_(
                    table.c.project == self.project, table.c.schedule == schedule,
                    runs.c.status.in_(OPEN_RUN_STATES))).distinct()).scalars().all()
        return sorted(set(found))

    # files --------------------------------------------------------------------------
    def claim_file(self, schedule: str, path: str, fingerprint: str, *, now: dt.datetime | None = None) -> int | None:
        return _insert_ignore(self.engine, trigger_files, {
            "project": self.project, "schedule": schedule, "path": path, "fingerprint": fingerprint,
            "status": FiringStatus.CLAIMED, "scheduler": self.scheduler, "seen_at": now or utcnow()})

    def settle_files(self, ids: list[int], *, status: str, run_id: str | None = None,
                     reason: str | None = None) -> None:
        if not ids:
            return
        with self.engine.begin() as conn:
            conn.execute(update(trigger_files).where(trigger_files.c.id.in_(ids)).values(
                status=status, run_id=run_id, reason=reason))

    def handled_files(self, schedule: str) -> set[tuple[str, str]]:
        with reading(self.engine) as conn:
            rows = conn.execute(select(trigger_files.c.path, trigger_files.c.fingerprint).where(and_(
                trigger_files.c.project == self.project, trigger_files.c.schedule == schedule))).all()
        return {(path, fingerprint) for path, fingerprint in rows}


def cancel_runs(ledger: Any, run_ids: list[str], reason: str) -> list[str]:
    """Mark open runs cancelled (overlap: cancel_previous); the ones this call cancelled.

    Uses the ledger's own `cancel_run(run_id, reason)` when it has one (which also stops running items);
    otherwise the run row is closed as cancelled, so workers pick none of its remaining items.
    """
    done = []
    cancel = getattr(ledger, "cancel_run", None)
    for run_id in run_ids:
        try:
            ok = cancel(run_id, reason) if cancel else ledger.fail_run(run_id, reason, RunStatus.CANCELLED)
        except TypeError:
            ok = ledger.fail_run(run_id, reason, RunStatus.CANCELLED)
        if ok:
            done.append(run_id)
    return done
