"""The step registry: every action a robot can use, by name, in one dict.

A connector module declares its actions with `@action(...)`; `connectors.MODULES` lists the modules,
so a new connector adds its actions in one place. Connector modules import their heavy libraries
inside the action functions, so that listing actions stays fast.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from orchestrator.errors import BusinessError


@dataclass(frozen=True)
class Action:
    name: str
    func: Callable[..., Any]
    args: type[BaseModel] | None
    scalar: str | None
    effect: bool | Callable[[Any], bool]
    doc: str

    def changes_outside(self, args: Any) -> bool:
        """Does this call change an outside system (so that a redelivered item must not repeat it)? An
        action may decide from its arguments (`http.request` with GET does not); unknown arguments: yes."""
        if callable(self.effect):
            return True if args is None else bool(self.effect(args))
        return self.effect

    def arguments(self, raw: Any) -> tuple[Any, bool]:
        """What the model validates: (the argument mapping, whether `raw` was the `scalar` field's value).

        A scalar fills the `scalar` field (`log: hello`); so does a mapping that names none of the
        arguments (`browser.click: {role: button}`: the mapping is the locator)."""
        assert self.args is not None
        if self.scalar and (not isinstance(raw, dict) or self.scalar not in self.args.model_fields
                            or not (set(raw) & {*self.args.model_fields, *self.arg_names()})):
            return {self.scalar: raw}, True
        return (raw if raw is not None else {}), False

    def bind(self, raw: Any) -> Any:
        """The rendered argument as the action's model (a scalar fills the `scalar` field)."""
        if self.args is None:
            return raw
        try:
            return self.args.model_validate(self.arguments(raw)[0])
        except ValidationError as exc:
            from orchestrator.wording import as_written, fill_word, read_as_bool

            def said(error: Any) -> str:
                # a mapping key `no:` / `yes:` that YAML made a boolean (the word itself is lost by then)
                if isinstance(error["input"], bool) and "[key]" in map(str, error["loc"]):
                    return fill_word(read_as_bool(error["input"]), None)
                return as_written(error["msg"], error["input"])

            detail = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'argument'}: {said(e)}" for e in exc.errors())
            raise BusinessError(f"{self.name}: {detail}") from None

    def arg_names(self) -> list[str]:
        return [info.alias or name for name, info in self.args.model_fields.items()] if self.args else []


_declared: list[Action] = []


def action(name: str, *, args: type[BaseModel] | None = None, scalar: str | None = None,
           effect: bool | Callable[[Any], bool] = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `func(ctx, args)` as the step action `name`.

    `args` is a pydantic model of the argument mapping; `scalar` names the field a plain scalar
    argument fills (`log: hello` -> message=hello); `effect` marks an action that changes an outside
    system, so that it is not repeated for an item that already passed it (or a function of the bound
    arguments that says whether this call does).
    """

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        declared = Action(name, func, args, scalar, effect, (func.__doc__ or "").strip())
        _declared.append(declared)
        if _registry is not None:
            _registry[name] = declared
        return func

    return register


_registry: dict[str, Action] | None = None


def registry() -> dict[str, Action]:
    global _registry
    if _registry is None:
        from connectors import MODULES

        for module in MODULES.values():
            importlib.import_module(module)
        _registry = {a.name: a for a in _declared}
    return _registry


def get(name: str) -> Action:
    return registry()[name]


def suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
