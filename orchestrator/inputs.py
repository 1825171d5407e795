"""A run's inputs: declared names only, required ones present, values of the declared type."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from orchestrator.actions import suggest
from orchestrator.errors import InputError
from orchestrator.spec import Robot


def parse_pairs(pairs: list[str]) -> dict[str, str]:
    """KEY=VALUE strings from the command line."""
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise InputError(f"--input {pair!r}: write it as KEY=VALUE")
        key, value = pair.split("=", 1)
        out[key.strip()] = value
    return out


def resolve_inputs(robot_name: str, robot: Robot, given: dict[str, Any]) -> dict[str, Any]:
    unknown = [k for k in given if k not in robot.inputs]
    if unknown:
        names = list(robot.inputs)
        hints = "; ".join(f"{k!r}{suggest(k, names)}" for k in unknown)
        declared = ", ".join(names) or "none"
        raise InputError(f"robot {robot_name!r} has no input {hints}; its inputs: {declared}")
    values: dict[str, Any] = {}
    for name, spec in robot.inputs.items():
        if name in given:
            values[name] = _coerce(name, spec.type, given[name])
        elif spec.required:
            raise InputError(f"robot {robot_name!r} needs input {name!r}: pass --input {name}=VALUE")
        else:
            values[name] = spec.default
    return values


def _coerce(name: str, kind: str, value: Any) -> Any:
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("true", "yes", "1", "on"):
                return True
            if text in ("false", "no", "0", "off"):
                return False
            raise ValueError("use true or false")
        if kind in ("list", "mapping"):
            parsed = json.loads(value) if isinstance(value, str) else value
            expected = list if kind == "list" else dict
            if not isinstance(parsed, expected):
                raise ValueError(f"expected a {kind} (JSON)")
            return parsed
        if kind == "date":
            return dt.date.fromisoformat(str(value)).isoformat()
        return value if not isinstance(value, (int, float)) or isinstance(value, bool) else str(value)
    except (ValueError, TypeError) as exc:
        raise InputError(f"input {name!r} should be a {kind}: {value!r} is not ({exc})") from None
