"""Running a robot's steps for one item: conditions, expressions, retries, time limits, evidence."""

from __future__ import annotations

import copy
import datetime as dt
import time
from typing import TYPE_CHECKING, Any

from loguru import logger
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential, wait_random

from orchestrator import actions
from orchestrator.context import RunSession, StepContext
from orchestrator.errors import (BusinessError, Cancelled, ItemRestart, ResourceLost, RetakeError, RunTimeout, StepTimeout,
                                 error_kind, is_retryable)
from orchestrator.expressions import evaluate
from orchestrator.logs import mask
from orchestrator.states import ItemStatus
from orchestrator.timeouts import time_limit

if TYPE_CHECKING:
    from orchestrator.cancel import RunGuard
    from orchestrator.ledger import Ledger
    from orchestrator.spec import Retry, Step

KEY_FIELDS = ("key", "id", "number", "invoice_no", "name", "file", "path")


def item_entries(session: RunSession) -> list[tuple[str, Any]]:
    """The run's items as (key, data) pairs: one implicit item when the robot declares none."""
    robot = session.robot
    if robot.items is None:
        return [("run", None)]
    values = evaluate(robot.items, session.expression_base())
    if isinstance(values, dict):
        values = [{"key": k, "value": v} for k, v in values.items()]
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        hint = (f" ({values}): for items 1 to {values}, write `{{{{ range(1, N + 1) | list }}}}`"
                if isinstance(values, int) and not isinstance(values, bool) else "")
        raise BusinessError(f"items of robot {session.robot_name!r} must be a list, got {type(values).__name__}{hint}")
    entries = []
    for index, value in enumerate(list(values)):
        entries.append((_item_key(session, value, index), _jsonable(value)))
    _warn_shared_keys(session, [key for key, _ in entries])
    return entries


def _warn_shared_keys(session: RunSession, keys: list[str]) -> None:
    """Items are told apart by key (in `runs show`, reports, `rerun --reread`): say when several share one."""
    from collections import Counter

    shared = [key for key, count in Counter(keys).items() if count > 1]
    if shared:
        fix = "give the robot an `item_key:` that differs for every item" if not session.robot.item_key else \
            "make its `item_key:` differ for every item"
        logger.bind(run_id=session.run_id, robot=session.robot_name, item="-", step="-").warning(
            f"{len(shared)} item key(s) belong to more than one item ({', '.join(shared[:5])}"
            f"{', ...' if len(shared) > 5 else ''}): {fix}, so that each item can be told apart")


def _item_key(session: RunSession, value: Any, index: int) -> str:
    if session.robot.item_key:
        ctx = {**session.expression_base(), "item": value, "index": index}
        return str(evaluate(session.robot.item_key, ctx))
    if isinstance(value, dict):
        for field in KEY_FIELDS:
            if value.get(field) not in (None, ""):
                return str(value[field])
        return str(index)
    if isinstance(value, (str, int, float)):
        return str(value)
    return str(index)


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))


def work_item(session: RunSession, ledger: Ledger, row: dict[str, Any], *,
              guard: RunGuard | None = None) -> dict[str, Any]:
    """Do one claimed item; returns what the ledger records of it (`Ledger.finish_items` takes a batch).

    Checkpoints of `effect` steps, attempts and artifacts are written at once; only the item's end is
    left to the caller, so that fast items can be recorded in batches."""
    ctx = StepContext(session=session, item=row["data"], index=row["idx"], key=row["key"], item_id=row["id"],
                      attempt=max(1, row["attempts"]))
    ctx.log = logger.bind(run_id=session.run_id, robot=session.robot_name, item=row["key"], step="-")
    done = ledger.checkpoints_for(row["id"]) if row["attempts"] > 1 or session.rerun else {}
    status, output, failure = ItemStatus.SUCCEEDED, None, None
    started, clock = dt.datetime.now(dt.timezone.utc), time.perf_counter()
    try:
        output = _restarting(ctx, ledger, done, guard)
        ctx.log.info("item done")
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, none stops the batch
        status = ItemStatus.CANCELLED if isinstance(exc, Cancelled) else ItemStatus.FAILED
        failure = (error_kind(exc), mask(str(exc)) or type(exc).__name__, ctx.step.label if ctx.step else None)
        ctx.log.bind(step=failure[2] or "-").error(f"item {status.value} ({failure[0]}): {failure[1]}")
        if not isinstance(exc, Cancelled):
            _capture_evidence(ctx, exc)
        if not isinstance(exc, (Cancelled, RunTimeout)):
            _on_failure(ctx, ledger, failure)
    ledger.add_artifacts(session.run_id, row["id"], ctx.artifacts)
    duration = time.perf_counter() - clock
    return {"id": row["id"], "attempts": row["attempts"], "status": status.value, "started_at": started,
            "finished_at": started + dt.timedelta(seconds=duration), "duration_s": duration, "output": _jsonable(mask(output)),
            "error_kind": failure[0] if failure else None, "error_message": failure[1] if failure else None,
            "error_step": failure[2] if failure else None}


def _restarting(ctx: StepContext, ledger: Ledger, done: dict[str, Any], guard: RunGuard | None) -> Any:
    """The item's steps; when a resource it used is lost, again from the first step (checkpointed `effect`
    steps are not repeated), as many times as the robot's retry policy allows attempts."""
    policy = ctx.session.robot.retry or ctx.session.project.spec.defaults.retry
    for round_ in range(1, policy.attempts + 1):
        if round_ > 1:
            ctx.attempt += 1
        try:
            return execute_steps(ctx, ctx.session.robot.steps, ledger, done=done, section="steps", guard=guard)
        except ResourceLost as exc:
            if round_ == policy.attempts:
                raise
            restart = " (`fail` with `retry: true`: the item starts again from its first step)"
            ctx.log.warning(mask(str(exc)) + (restart if isinstance(exc, ItemRestart) else ""))
            ctx.steps.clear()
            ctx.vars.clear()
            if ledger is not None and ctx.item_id is not None:
                done.update(ledger.checkpoints_for(ctx.item_id))
            time.sleep(policy.backoff)
    return None


def execute_steps(ctx: StepContext, steps: list[Step], ledger: Ledger | None, *, done: dict[str, Any],
                  section: str, guard: RunGuard | None = None) -> Any:
    """Run `steps` in order; returns the last step's output. `guard` stops at a step boundary."""
    output = None
    # A step's output can be read when it has an id, or when it may be the last step done (the item's output)
    last_sure = max((i for i, s in enumerate(steps) if s.when is None), default=-1)
    for position, step in enumerate(steps):
        if guard is not None:
            guard.check()
        ctx.step = step
        ctx.output_used = bool(step.id) or position >= last_sure or step.effect is True
        log = ctx.log.bind(step=step.label)
        if step.when is not None and not _truthy(evaluate(step.when, ctx.expressions())):
            log.debug("skipped: condition is false")
            continue
        action = actions.get(step.action)
        marker = f"{section}.{step.id or position}"
        if marker in done and step.effect is not False:  # (a step the robot now says has no effect is done again)
            output = done[marker]
            log.info("already done in an earlier try of this item (a restart, a redelivery or the run this one "
                     "reruns): not repeated, its recorded output is used")
        else:
            bound: list[Any] = []
            try:
                output = _attempts(ctx, step, action, ledger, log, guard, bound)
            except Exception as exc:
                if not step.continue_on_error or isinstance(exc, (Cancelled, RunTimeout)):
                    raise
                log.warning(f"failed, continuing as asked: {mask(str(exc))}")
                output = None
            effect = step.effect if step.effect is not None else action.changes_outside(bound[-1] if bound else None)
            if ledger is not None and effect:
                ledger.checkpoint(ctx.item_id, marker, _jsonable(mask(output)))
        if step.id:
            ctx.steps[step.id] = output
    return output


def _attempts(ctx: StepContext, step: Step, action: actions.Action, ledger: Ledger | None, log: Any,
              guard: RunGuard | None = None, bound: list[Any] | None = None) -> Any:
    """The step's action, tried as its retry policy says; `bound` receives each attempt's arguments."""
    session = ctx.session
    policy = step.retry or session.robot.retry or session.project.spec.defaults.retry
    timeout = step.timeout or session.robot.step_timeout or session.project.spec.defaults.step_timeout
    earlier = ctx.tries.get(id(step), 0)  # tries of this step in the item's earlier tries (restarts)
    for attempt in Retrying(stop=stop_after_attempt(policy.attempts), wait=_wait(policy), reraise=True,
                            retry=retry_if_exception(lambda e: is_retryable(e) and not isinstance(e, ResourceLost)),
                            before_sleep=lambda state: log.warning(
                                f"attempt {state.attempt_number} failed, retrying: "
                                f"{mask(str(state.outcome.exception()))}")):
        with attempt:
            # numbered on from the item's earlier tries (a restart from its first step), as the ledger lists them
            number = ctx.tries[id(step)] = attempt.retry_state.attempt_number + earlier
            started, clock = dt.datetime.now(dt.timezone.utc), time.perf_counter()
            try:
                limit, by_run = guard.step_limit(timeout) if guard is not None else (timeout, False)
                if number > 1 and guard is not None:
                    guard.check()
                raw = evaluate(step.args, ctx.expressions()) if _templated(step) else step.args
                args = action.bind(copy.deepcopy(raw) if raw is step.args else raw)
                if bound is not None:
                    bound.append(args)
                try:
                    with time_limit(limit, f"step {step.label!r}"):
                        result = action.func(ctx, args)
                except StepTimeout:
                    # the step's limit was what was left of the run's, and that has passed (not a shorter
                    # limit inside the step, such as a browser call's)
                    if by_run and guard is not None and guard.expired():
                        raise guard.timeout_error() from None
                    raise
            except Exception as exc:
                if ledger is not None and ctx.item_id is not None:
                    ledger.record_attempt(ctx.item_id, step=step.label, number=number, status="failed",
                                          started_at=started, duration_s=time.perf_counter() - clock,
                                          error_kind=error_kind(exc), error_message=mask(str(exc)))
                if not isinstance(exc, RetakeError):
                    log.opt(exception=False).debug(f"{type(exc).__name__}: {mask(str(exc))}")
                raise
            if ledger is not None and ctx.item_id is not None and number > 1:
                ledger.record_attempt(ctx.item_id, step=step.label, number=number, status="succeeded",
                                      started_at=started, duration_s=time.perf_counter() - clock)
            return result
    return None


_TEMPLATED: dict[int, tuple[Any, bool]] = {}  # id -> (step kept alive so its id is never reused, flag)


def _templated(step: Step) -> bool:
    """Does the step's argument hold any `{{ }}`? (Plain arguments skip building the expression context.)"""
    key = id(step)
    if key not in _TEMPLATED:
        from orchestrator.expressions import is_template

        def walk(value: Any) -> bool:
            if isinstance(value, dict):
                return any(walk(k) or walk(v) for k, v in value.items())
            if isinstance(value, (list, tuple)):
                return any(walk(v) for v in value)
            return isinstance(value, str) and is_template(value)

        _TEMPLATED[key] = (step, walk(step.args))
    return _TEMPLATED[key][1]


def _wait(policy: Retry) -> Any:
    wait = wait_exponential(multiplier=policy.backoff, min=policy.backoff, max=policy.max_backoff)
    if policy.jitter and policy.backoff > 0:
        wait = wait + wait_random(0, policy.backoff / 2)

    def at_least_asked(state: Any) -> float:
        """A server's Retry-After (an error's `retry_after`, seconds, capped by the connector) is the least wait."""
        error = state.outcome.exception() if state.outcome is not None else None
        return max(wait(state), getattr(error, "retry_after", None) or 0)

    return at_least_asked


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "no", "0", "none", "null")
    return bool(value)


def _capture_evidence(ctx: StepContext, exc: BaseException) -> None:
    for name, resource in list(ctx.session.resources.items()):
        capture = getattr(resource, "capture_evidence", None)
        if capture is None:
            continue
        try:
            capture(ctx, exc)
        except Exception as problem:  # noqa: BLE001 - evidence is best effort, the failure is what counts
            ctx.log.warning(f"could not capture evidence from {name}: {problem}")


def _on_failure(ctx: StepContext, ledger: Ledger, failure: tuple[str, str, str | None]) -> None:
    if not ctx.session.robot.on_failure:
        return
    ctx.error = {"kind": failure[0], "message": failure[1], "step": failure[2]}
    try:
        execute_steps(ctx, ctx.session.robot.on_failure, ledger, done={}, section="on_failure")
    except Exception as exc:  # noqa: BLE001
        ctx.log.error(f"on_failure steps failed too: {mask(str(exc))}")
