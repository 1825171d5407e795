"""Slots whose scheduler stopped between claiming them and queuing their run: taken over by another.

A claim holds the id its run will have. A scheduler that finds a claim unsettled for `STALE_CLAIM`
takes it over (one UPDATE: one winner among several schedulers), then:
- the run exists (its scheduler stopped after making it): its start is queued again when it is still
  queued (a start delivered twice changes nothing) and the slot is recorded `fired`;
- no run: the slot is late now, so the schedule's misfire policy and grace decide, as for a slot missed
  while no scheduler ran: it fires (with the claimed run id), or is recorded `missed` with the reason.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from loguru import logger

from orchestrator.scheduling.calendar import BusinessCalendar
from orchestrator.scheduling.claims import Claims, FiringStatus
from orchestrator.scheduling.plan import Decision, decide

if TYPE_CHECKING:
    from orchestrator.loader import LoadedProject
    from orchestrator.scheduling.scheduler import Firing, Scheduler

STOPPED = "the scheduler that claimed this slot stopped before queuing its run"


def recover_claims(scheduler: Scheduler, loaded: LoadedProject, claims: Claims, older_than: dt.datetime,
                   now: dt.datetime) -> list[Firing]:
    from orchestrator.scheduling.scheduler import Firing

    done: list[Firing] = []
    for row in claims.stale_claims(older_than):
        if not claims.take_over(row["id"], older_than, now):
            continue  # another scheduler took it over first
        name, slot, run_id = row["schedule"], row["slot"], row["run_id"]
        logger.warning(f"schedule {name}: taking over slot {slot.isoformat()}: {STOPPED}")
        if run_id and _requeue(loaded, run_id):
            claims.settle(row["id"], status=FiringStatus.FIRED, run_id=run_id, reason=f"{STOPPED}; run queued again",
                          now=now)
            done.append(Firing(name, slot, FiringStatus.FIRED, run_id=run_id, reason="queued again"))
            continue
        schedule = loaded.spec.schedules.get(name)
        if schedule is None or not schedule.enabled or schedule.on is not None:
            why = f"{STOPPED}; the schedule is {'gone' if schedule is None else 'disabled'} now"
            claims.settle(row["id"], status=FiringStatus.FAILED, reason=why, now=now)
            done.append(Firing(name, slot, FiringStatus.FAILED, reason=why))
            continue
        tz = scheduler.zone(loaded, schedule)
        [decision] = decide([slot], now, tz=tz, calendar=BusinessCalendar(schedule.calendar),
                            misfire=schedule.misfire, grace=schedule.grace, late_after=scheduler.late_after)
        later = claims.last_slot(name)
        if decision.action == "fire" and schedule.misfire == "once" and later is not None and later > slot:
            decision = Decision(slot, FiringStatus.MISSED, "coalesced into a later slot (misfire: once)")
        if decision.action == "fire":
            done.append(scheduler.fire(loaded, claims, row["id"], name, schedule, decision, now, tz,
                                       run_id or _new_id()))
        else:
            why = f"{STOPPED}; {decision.reason}"
            claims.settle(row["id"], status=decision.action, reason=why, now=now)
            done.append(Firing(name, slot, decision.action, reason=why))
    return done


def _requeue(loaded: LoadedProject, run_id: str) -> bool:
    """True when the run was made; its start message is sent again if it has not started."""
    from orchestrator import projects
    from orchestrator.broker import enqueue
    from orchestrator.queue import start_run

    run = projects.ledger_for(loaded).get_run(run_id)
    if run is None:
        return False
    if run["status"] == "queued":
        enqueue(start_run, run_id, str(loaded.root), queue=run["queue"])
    return True


def _new_id() -> str:
    from orchestrator.ledger.rows import new_run_id

    return new_run_id()
