"""The scheduler loop: each tick fires what came due since the last one, claiming every slot in the ledger.

Time comes from an injected clock (`SystemClock` in production, `FakeClock` in tests). The project is
reloaded when its files change, so an edited schedule applies without a restart. Runs start through the
same path as `retake run --detach` (`orchestrator.submit.submit`), with trigger "schedule".
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from loguru import logger

from orchestrator.errors import ConfigError, RetakeError
from orchestrator.ledger.rows import new_run_id
from orchestrator.loader import LoadedProject
from orchestrator.scheduling.calendar import BusinessCalendar
from orchestrator.scheduling.claims import Claims, FiringStatus, cancel_runs
from orchestrator.scheduling.clock import Clock, SystemClock
from orchestrator.scheduling.plan import Decision, decide
from orchestrator.scheduling.recovery import recover_claims
from orchestrator.scheduling.timing import Timing
from orchestrator.scheduling.triggers import FileWatcher, SeenFile
from orchestrator.spec import Schedule

Launcher = Callable[..., str]  # (loaded, robot, inputs, run_id=...) -> the run's id
STALE_CLAIM = dt.timedelta(minutes=2)    # a claim not settled by then lost its scheduler: another takes it over
CATCH_UP_WINDOW = dt.timedelta(days=7)   # after a long outage, slots older than this are not even listed
MAX_SLOTS_PER_TICK = 10_000


def submit_launcher(loaded: LoadedProject, robot: str, inputs: dict[str, Any], *, run_id: str | None = None) -> str:
    from orchestrator.submit import submit

    return submit(loaded, robot, inputs, trigger="schedule", run_id=run_id)


def overlap_policy(schedule: Schedule) -> str:
    """`overlap:` as written; unset means skip for times, queue for file triggers (files must not wait)."""
    # `misfire: all` asks for every missed slot: skipping them as overlaps of the first would undo it
    return schedule.overlap or ("queue" if schedule.on or schedule.misfire == "all" else "skip")


@dataclass(frozen=True)
class Firing:
    """What one tick did with one slot (or one batch of files)."""

    schedule: str
    slot: dt.datetime
    status: str
    run_id: str | None = None
    reason: str | None = None
    files: tuple[str, ...] = ()


class Scheduler:
    def __init__(self, project: LoadedProject | str | Path, *, clock: Clock | None = None,
                 name: str | None = None, launcher: Launcher | None = None, late_after: float = 60.0,
                 max_sleep: float = 1.0):
        self._fixed = project if isinstance(project, LoadedProject) else None
        self._root = None if self._fixed else Path(project)
        self.clock = clock or SystemClock()
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.launcher = launcher or submit_launcher
        self.late_after = late_after
        self.max_sleep = max_sleep
        self._loaded: LoadedProject | None = self._fixed
        self._cursor: dict[str, dt.datetime] = {}
        self._next: dict[str, tuple[Any, dt.datetime]] = {}
        self._watchers: dict[str, tuple[Any, FileWatcher]] = {}
        self.started_runs: list[str] = []
        self._swept: dt.datetime | None = None
        self._problems: str | None = None  # the project's problems last logged

    # the project, reloaded when its files change ---------------------------------------
    @property
    def loaded(self) -> LoadedProject:
        if self._fixed is not None:
            return self._fixed
        from orchestrator import projects

        try:
            self._loaded = projects.project(self._root)
        except ConfigError as exc:
            if self._loaded is None:
                raise
            if str(exc) != self._problems:  # once per change of the files, not on every tick
                logger.error(f"project files have problems; keeping the schedules loaded before:\n{exc}")
                self._problems = str(exc)
            return self._loaded
        self._problems = None
        assert self._loaded is not None
        return self._loaded

    def claims(self, loaded: LoadedProject) -> Claims:
        from orchestrator import projects

        return Claims(projects.ledger_for(loaded).engine, project=loaded.spec.project, scheduler=self.name)

    def zone(self, loaded: LoadedProject, schedule: Schedule) -> ZoneInfo:
        return ZoneInfo(schedule.timezone or loaded.spec.timezone)

    # one pass ---------------------------------------------------------------------------
    def tick(self) -> list[Firing]:
        """Fire everything due now; what was done, in order."""
        loaded = self.loaded
        claims = self.claims(loaded)
        now = self.clock.now().astimezone(dt.UTC)
        done: list[Firing] = []
        if self._swept is None or now - self._swept > dt.timedelta(minutes=1):
            self._swept = now
            done += recover_claims(self, loaded, claims, now - STALE_CLAIM, now)
        for name, schedule in loaded.spec.schedules.items():
            if not schedule.enabled:
                self._cursor[name] = now  # enabled again later: slots while it was off are not misfires
                self._next.pop(name, None)
                continue
            try:
                if schedule.on is not None:
                    done += self._files(loaded, claims, name, schedule, now)
                else:
                    done += self._slots(loaded, claims, name, schedule, now)
            except RetakeError as exc:
                logger.error(f"schedule {name}: {exc}")
        return done

    def wait_seconds(self) -> float:
        """How long the loop may sleep before something can be due."""
        now = self.clock.now()
        wakes = [when for _, when in self._next.values()]
        wakes += [w.next_look() for _, w in self._watchers.values() if w.next_look() is not None]
        soonest = min(wakes, default=now + dt.timedelta(seconds=self.max_sleep))
        return max(0.0, min(self.max_sleep, (soonest - now).total_seconds()))

    def run(self, stop: threading.Event) -> None:
        """Tick until `stop` is set; errors (a database away for a while) are logged and retried."""
        logger.info(f"scheduler {self.name} started")
        while not stop.is_set():
            try:
                self.tick()
                pause = self.wait_seconds()
            except Exception as exc:  # noqa: BLE001 - the loop must outlive a bad tick
                logger.exception(f"scheduler tick failed: {exc}")
                pause = 5.0
            self.clock.sleep(pause, stop)
        logger.info(f"scheduler {self.name} stopped")

    # time schedules ------------------------------------------------------------------------
    def _slots(self, loaded: LoadedProject, claims: Claims, name: str, schedule: Schedule,
               now: dt.datetime) -> list[Firing]:
        tz = self.zone(loaded, schedule)
        timing = Timing(tz=tz, cron=schedule.cron, every=schedule.every)
        key = (schedule.cron, schedule.every, str(tz))
        if name not in self._cursor:
            self._cursor[name] = claims.last_slot(name) or self._first_cursor(timing, now)
        cursor = self._cursor[name]
        cached = self._next.get(name)
        upcoming = cached[1] if cached and cached[0] == key else timing.next_after(cursor)
        if upcoming > now:
            self._next[name] = (key, upcoming)
            return []
        slots = timing.between(max(cursor, now - CATCH_UP_WINDOW), now, limit=MAX_SLOTS_PER_TICK)
        decisions = decide(slots, now, tz=tz, calendar=BusinessCalendar(schedule.calendar),
                           misfire=schedule.misfire, grace=schedule.grace, late_after=self.late_after)
        done = [f for d in decisions if (f := self._apply(loaded, claims, name, schedule, d, now, tz))]
        self._cursor[name] = max(now, cursor)
        self._next[name] = (key, timing.next_after(self._cursor[name]))
        return done

    def _first_cursor(self, timing: Timing, now: dt.datetime) -> dt.datetime:
        """A schedule without history starts now, its latest slot included when it is on time (`--once`)."""
        recent = timing.between(now - dt.timedelta(seconds=self.late_after), now, limit=1)
        return recent[0] - dt.timedelta(microseconds=1) if recent else now

    def _apply(self, loaded: LoadedProject, claims: Claims, name: str, schedule: Schedule, decision: Decision,
               now: dt.datetime, tz: ZoneInfo) -> Firing | None:
        if decision.action != "fire":
            if claims.claim(name, decision.slot, status=decision.action, reason=decision.reason, now=now) is None:
                return None
            logger.info(f"schedule {name}: slot {_show(decision.slot, tz)} {decision.action}: {decision.reason}")
            return Firing(name, decision.slot, decision.action, reason=decision.reason)
        run_id = new_run_id()
        firing_id = claims.claim(name, decision.slot, now=now, run_id=run_id)
        if firing_id is None:
            return None  # another scheduler has this slot
        return self.fire(loaded, claims, firing_id, name, schedule, decision, now, tz, run_id)

    def fire(self, loaded: LoadedProject, claims: Claims, firing_id: int, name: str, schedule: Schedule,
             decision: Decision, now: dt.datetime, tz: ZoneInfo, run_id: str) -> Firing:
        """Queue the run of a slot this scheduler has claimed, with the run id written in the claim."""
        local = decision.slot.astimezone(tz)
        context = {"slot": local.isoformat(), "date": local.date().isoformat(), "schedule": name}
        status, run_id, reason = self._start(loaded, claims, name, schedule, context, {}, run_id=run_id)
        reason = reason or decision.reason
        claims.settle(firing_id, status=status, run_id=run_id, reason=reason, now=now)
        # a slot that could not start its run (inputs refused, broker down) is a warning for whoever watches
        logger.log("WARNING" if status == "failed" else "INFO", f"schedule {name}: slot {_show(decision.slot, tz)} "
                   f"{status}" + (f" run {run_id}" if run_id else "") + (f" ({reason})" if reason else ""))
        return Firing(name, decision.slot, status, run_id=run_id, reason=reason)

    def _start(self, loaded: LoadedProject, claims: Claims, name: str, schedule: Schedule, context: dict[str, Any],
               auto: dict[str, Any], *, run_id: str | None = None) -> tuple[str, str | None, str | None]:
        """Apply the overlap policy, then queue the run: (status, run_id, reason)."""
        from orchestrator import expressions, projects

        policy = overlap_policy(schedule)
        if policy != "queue":
            still_open = claims.open_runs(name)
            if still_open and policy == "skip":
                return FiringStatus.SKIPPED, None, f"overlap: run {', '.join(still_open)} still open"
            if still_open:
                from orchestrator import events

                ledger = projects.ledger_for(loaded)
                cancelled = cancel_runs(ledger, still_open, f"cancelled by schedule {name}: a newer run started "
                                        "(overlap: cancel_previous)")
                logger.info(f"schedule {name}: cancelled run(s) {', '.join(cancelled) or 'none'}")
                for gone in cancelled:  # alerts and waiters hear of it as of any other run's end
                    events.run_finished(loaded, ledger.get_run(gone) or {"id": gone, "status": "cancelled"})
        try:
            inputs = expressions.evaluate(dict(schedule.inputs), context)
            robot = loaded.spec.robots.get(schedule.robot)
            for key, value in auto.items():
                if robot is not None and key in robot.inputs and key not in inputs:
                    inputs[key] = value
            run_id = self.launcher(loaded, schedule.robot, inputs, run_id=run_id)
            self.started_runs.append(run_id)
            return FiringStatus.FIRED, run_id, None
        except RetakeError as exc:
            return FiringStatus.FAILED, None, str(exc)

    # file triggers -------------------------------------------------------------------------
    def _files(self, loaded: LoadedProject, claims: Claims, name: str, schedule: Schedule,
               now: dt.datetime) -> list[Firing]:
        assert schedule.on is not None
        key = schedule.on.model_dump_json()
        entry = self._watchers.get(name)
        if entry is None or entry[0] != key:
            watcher = FileWatcher(loaded.root, schedule.on, handled=claims.handled_files(name))
            self._watchers[name] = (key, watcher)
        else:
            watcher = entry[1]
        if not watcher.due(now):
            return []
        ready = watcher.look(now)
        tz = self.zone(loaded, schedule)
        local = now.astimezone(tz)
        if not ready or BusinessCalendar(schedule.calendar).closed_reason(local.date()):
            return []  # closed today: the files wait for the next business day
        groups = [ready] if schedule.on.batch else [[f] for f in ready]
        done = []
        for group in groups:
            if overlap_policy(schedule) == "skip" and claims.open_runs(name):
                break  # the rest wait until the previous run is over
            owned = self._claim_files(claims, name, group, now)
            watcher.remember(group)
            if not owned:
                continue
            paths = [f.path for f, _ in owned]
            context = {"slot": local.isoformat(), "date": local.date().isoformat(), "schedule": name,
                       "file": paths[0], "files": paths}
            auto = {"files": paths} if schedule.on.batch else {"file": paths[0]}
            status, run_id, reason = self._start(loaded, claims, name, schedule, context, auto)
            claims.settle_files([i for _, i in owned], status=status, run_id=run_id, reason=reason)
            logger.log("WARNING" if status == "failed" else "INFO", f"schedule {name}: {len(paths)} new file(s) "
                       f"{status}" + (f" run {run_id}" if run_id else "") + (f" ({reason})" if reason else ""))
            done.append(Firing(name, now, status, run_id=run_id, reason=reason, files=tuple(paths)))
        return done

    @staticmethod
    def _claim_files(claims: Claims, name: str, group: list[SeenFile],
                     now: dt.datetime) -> list[tuple[SeenFile, int]]:
        owned = []
        for f in group:
            file_id = claims.claim_file(name, f.path, f.fingerprint, now=now)
            if file_id is not None:
                owned.append((f, file_id))
        return owned


def _show(slot: dt.datetime, tz: ZoneInfo) -> str:
    return slot.astimezone(tz).isoformat(timespec="seconds")
