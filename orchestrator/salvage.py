"""What is left of a robot or schedule once the parts with schema errors are set aside.

The schema errors of a robot are reported where they are; what is left is still checked (step actions and
arguments, expressions, a schedule's cron and calendar), so that `manual_minutes: many` does not hide a
bad step argument below it. A salvaged model is only ever checked: its file has problems, so nothing runs.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel, ValidationError

from orchestrator.spec import STEP_KEYS

_STEP_LISTS = ("steps", "on_failure")


def salvage(model: type[BaseModel], data: Any, errors: list[Any], *, rounds: int = 3) -> BaseModel | None:
    """`model` from `data` without the parts `errors` point at, or None when too little is left."""
    if not isinstance(data, dict):
        return None
    data = copy.deepcopy(data)
    for _ in range(rounds):
        changed = [_set_aside(data, tuple(err["loc"])) for err in errors]  # every one of them
        if not any(changed):
            return None
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            errors = exc.errors()
    return None


def _set_aside(data: dict[Any, Any], loc: tuple[Any, ...]) -> bool:
    """Remove (or neutralise) the part of `data` at `loc`; whether anything changed."""
    if not loc or loc[0] not in data:
        return False
    head = loc[0]
    if head in _STEP_LISTS and len(loc) > 1 and isinstance(data[head], list):
        return _set_aside_in_step(data[head], loc[1:])
    if head == "inputs" and len(loc) > 1 and isinstance(data[head], dict) and loc[1] in data[head]:
        if loc[2:3] == ("[key]",):  # the name itself is wrong (a YAML boolean)
            del data[head][loc[1]]
        else:  # the input stays declared, so the expressions reading it are not flagged
            data[head][loc[1]] = {}
        return True
    del data[head]
    return True


def _set_aside_in_step(steps: list[Any], loc: tuple[Any, ...]) -> bool:
    """A step keeps its place (the problems of the steps after it point at their own index): a bad common
    key is dropped; a step that is not a step at all becomes a neutral `log` that keeps its id."""
    index = loc[0]
    if not isinstance(index, int) or not 0 <= index < len(steps):
        return False
    step = steps[index]
    key = "if" if loc[1:2] == ("when",) else loc[1] if len(loc) > 1 else None
    if isinstance(step, dict) and key in STEP_KEYS and key in step:
        del step[key]
        return True
    placeholder: dict[str, Any] = {"log": ""}
    if isinstance(step, dict) and isinstance(step.get("id"), str):
        placeholder["id"] = step["id"]
    if step == placeholder:
        return False
    steps[index] = placeholder
    return True
