"""Core actions: log, set, sleep, fail."""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from orchestrator.actions import action
from orchestrator.durations import parse_duration
from orchestrator.errors import BusinessError, ItemRestart
from orchestrator.expressions import is_template


class LogArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: Any
    level: str = "INFO"


@action("log", args=LogArgs, scalar="message")
def log(ctx, args: LogArgs) -> str:
    """Write a line to the run's log. `log: "Invoice {{ item.number }} read"`"""
    text = str(args.message)
    ctx.log.log(args.level.upper(), text)
    return text


@action("set")
def set_(ctx, args: Any) -> dict[str, Any]:
    """Name values for later steps: `set: {total: "{{ item.amount * 1.1 }}"}` then `{{ total }}`."""
    if not isinstance(args, dict):
        raise BusinessError("set: give a mapping of names to values, e.g. `set: {total: 10}`")
    ctx.vars.update(args)
    return args


class SleepArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duration: Any

    @field_validator("duration")
    @classmethod
    def _a_duration(cls, value: Any) -> Any:
        """Checked when the project loads (`retake validate`), not when the robot reaches the step; a
        `{{ }}` value is checked once rendered."""
        if not is_template(value):
            parse_duration(value)
        return value


@action("sleep", args=SleepArgs, scalar="duration")
def sleep(ctx, args: SleepArgs) -> float:
    """Wait: `sleep: 2s`."""
    try:
        seconds = parse_duration(args.duration)
    except ValueError as exc:
        raise BusinessError(f"sleep: {exc}") from None
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, 0.05))  # short slices, so a step time limit can interrupt it
    return seconds


class FailArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: Any = "failed by the robot"
    retry: bool = False  # the application failed, not the data: the item starts again from its first step


@action("fail", args=FailArgs, scalar="message")
def fail(ctx, args: FailArgs) -> None:
    """Fail the item as a business failure (bad data; never retried): `fail: "No PO number"`. With
    `retry: true`, an application failure the page shows: the item starts again from its first step."""
    if args.retry:
        raise ItemRestart(str(args.message))
    raise BusinessError(str(args.message))
