"""Step arguments checked against their action's model when the project loads, not when the step runs.

Each step's argument goes through the same pydantic model as at run time (`Action.bind`). A value that
holds a `{{ }}` template is known only at run time, so an error on it, or on anything inside it, is left
for then; every other error becomes a problem at the argument's own line and column, with a "did you
mean" for misspelled keys and choices. Model validators see templates as plain strings here: one that
checks a value it cannot judge before the run skips templated values (see `expressions.is_template`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from orchestrator.actions import Action, suggest
from orchestrator.expressions import is_template
from orchestrator.wording import as_written, is_yaml_bool, read_as_bool


@dataclass(frozen=True)
class ArgProblem:
    """One mistake in a step's argument: `path` leads from the action's value to the part at fault."""

    path: tuple[Any, ...]
    message: str
    key: bool = False


def arg_problems(action: Action, raw: Any) -> list[ArgProblem]:
    """Every mistake in `raw`, the argument of a step of `action`, that can be seen before the run."""
    if action.args is None:
        return []
    data, wrapped = action.arguments(raw)
    try:
        action.args.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
    else:
        return []
    if wrapped and isinstance(raw, dict) and raw and _mapping_refused(action, errors):
        names = action.arg_names()
        return [ArgProblem((key,), f"{action.name} has no argument {key!r}{suggest(str(key), names)}; "
                                   f"it takes: {', '.join(names)}", key=True) for key in raw]
    found: dict[tuple[Any, ...], ArgProblem] = {}
    for error in errors:
        problem = _problem(action, data, error)
        if problem is None:
            continue
        if wrapped and problem.key and len(problem.path) == 2 and "(did you mean" not in problem.message:
            problem = _meant_as_argument(action, problem)
        seen = found.get(problem.path)
        if seen is None:
            found[problem.path] = problem
        elif problem.message not in seen.message and not problem.key and not seen.key:
            # One value failing each member of a union (`str | int`): one sentence.
            extra = error["msg"].removeprefix("Input should be ")
            found[problem.path] = ArgProblem(seen.path, f"{seen.message} or {extra}")
    # The path inside the data the model saw starts at the scalar field when `raw` filled it.
    return [ArgProblem(p.path[1:] if wrapped and p.path[:1] == (action.scalar,) else p.path, p.message, p.key)
            for p in found.values()]


def _meant_as_argument(action: Action, problem: ArgProblem) -> ArgProblem:
    """A key the scalar field refuses (`browser.click: {locatr: x}`, read as a locator) that is close to an
    argument's name: say so, rather than what the scalar field allows."""
    bad = str(problem.path[-1])
    hint = suggest(bad, action.arg_names())
    if not hint:
        return problem
    return ArgProblem(problem.path, f"{action.name} has no argument {bad!r}{hint}; it takes: "
                                    f"{', '.join(action.arg_names())}", key=True)


def _mapping_refused(action: Action, errors: list[Any]) -> bool:
    """A mapping taken as the scalar value (it names no argument) that the scalar field refuses as a type:
    its keys were meant as arguments (`files.list: {dri: inbox}`)."""
    return all(e["loc"][:1] == (action.scalar,) and e["type"] != "value_error" for e in errors)


def _problem(action: Action, data: Any, error: dict[str, Any]) -> ArgProblem | None:
    loc = tuple(error["loc"])
    path, node, templated = _follow(data, loc)
    if templated:
        return None
    kind = error["type"]
    where = ".".join(map(str, path))
    if kind == "extra_forbidden":
        bad = str(loc[-1])
        if len(path) == 1:
            names = action.arg_names()
            return ArgProblem(path, f"{action.name} has no argument {bad!r}{suggest(bad, names)}; "
                                    f"it takes: {', '.join(names)}", key=True)
        from orchestrator.loader import _fields_at

        known = _fields_at(action.args, loc[:-1])
        inside = ".".join(map(str, path[:-1]))
        return ArgProblem(path, f"{action.name}: unknown key {bad!r} in {inside}{suggest(bad, known)}"
                          + (f"; allowed here: {', '.join(sorted(known))}" if known else ""), key=True)
    if kind == "missing":
        if len(loc) == 1:
            return ArgProblem(path, f"{action.name} needs argument {str(loc[0])!r}")
        inside = ".".join(map(str, path[:-1] if path[-1:] == loc[-1:] else path))
        return ArgProblem(path, f"{action.name}: {inside} needs {str(loc[-1])!r}")
    if kind == "model_type" and not loc:
        return ArgProblem((), f"{action.name} takes a mapping of arguments ({', '.join(action.arg_names())}), "
                              f"not {type(data).__name__}: e.g. `{action.name}: {{{action.arg_names()[0]}: ...}}`")
    if is_yaml_bool(error):
        at_key = loc[-1] == "[key]"
        inside = ".".join(str(p) for p in path if isinstance(p, str) and p != "[key]")
        return ArgProblem(path, f"{action.name}: {inside}: {read_as_bool(error['input'])}", key=at_key)
    cause = (error.get("ctx") or {}).get("error")
    message = as_written(error["msg"].removeprefix("Value error, "), node)
    if kind == "value_error" and _mentions_template(node, message):
        return None  # a model validator judged a template as if it were the value
    if kind == "literal_error" and isinstance(error.get("input"), str):
        choices = re.findall(r"'([^']*)'", (error.get("ctx") or {}).get("expected", ""))
        message += suggest(error["input"], choices)
    if where and not message.startswith(f"{path[-1]} "):  # not "locator: locator {...}: ..."
        message = f"{where}: {message}"
    if cause is not None and isinstance(getattr(cause, "path", None), tuple):  # e.g. a locator's bad key
        return ArgProblem(path + cause.path, f"{action.name}: {message}", key=bool(getattr(cause, "key", False)))
    return ArgProblem(path, f"{action.name}: {message}")


def _follow(data: Any, loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], Any, bool]:
    """(the path of `loc` in the YAML data, the value there, whether the way there holds a template).

    Parts of `loc` that are not in the data (union members such as `str`, a missing key) are passed over."""
    path: list[Any] = []
    node = data
    for part in loc:
        if is_template(node):
            return tuple(path), node, True
        inside = part in node if isinstance(node, dict) else \
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if inside:
            node = node[part]
        else:
            if isinstance(node, dict) and part == loc[-1]:
                path.append(part)  # an unknown or missing key: point at it (or at its mapping)
            continue
        path.append(part)
    return tuple(path), node, is_template(node)


def _mentions_template(node: Any, message: str) -> bool:
    """Whether a validator's message quotes a templated value found under `node` (then it is not final)."""
    if isinstance(node, dict):
        return any(_mentions_template(k, message) or _mentions_template(v, message) for k, v in node.items())
    if isinstance(node, list):
        return any(_mentions_template(v, message) for v in node)
    return is_template(node) and node in message
