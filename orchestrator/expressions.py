"""Expressions in robot files: Jinja2 in its immutable sandbox.

A string that is one whole `{{ ... }}` yields the native value (a list stays a list); any other
string with `{{` or `{%` renders to text. The sandbox refuses Python internals (`''.__class__`),
and the context offers no way to read files outside the project or the environment.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from orchestrator.errors import BusinessError

_WHOLE = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\}\}).)*)\}\}\s*$", re.S)
_NAME = re.compile(r"^\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<keys>(?:\s*\[\s*(?:'[^'\\]*'|\"[^\"\\]*\")\s*\]"
                   r"|\.[A-Za-z_][A-Za-z0-9_]*)*)\s*$")
_KEY = re.compile(r"\[\s*(?:'(?P<single>[^'\\]*)'|\"(?P<double>[^\"\\]*)\")\s*\]|\.(?P<attr>[A-Za-z_][A-Za-z0-9_]*)")
_MISSING = object()
_NOT_NAMES = frozenset(("true", "false", "none", "True", "False", "None", "self"))  # constants; `self` clashes


def _date_filter(value: Any, fmt: str = "%Y-%m-%d") -> str:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.strftime(fmt)


def _to_date(value: Any, fmt: str | None = None) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if fmt:
        return dt.datetime.strptime(text, fmt).date()
    return dt.date.fromisoformat(text)


def _number(value: Any, decimal: str | None = None) -> int | float:
    """`{{ row['Amount'] | number }}`: a number as people write it (`15,000,000`, `1.234,56 €`, `($12.00)`);
    a business error when the text is not one number."""
    from connectors.pdf_values import parse_number

    try:
        return parse_number(value, decimal=decimal)
    except ValueError as exc:
        raise BusinessError(f"| number: {exc}") from None


_NO_DEFAULT = object()


def _strict(kind: type) -> Any:
    """Jinja's `| int` and `| float` turn any text they cannot read into 0: `'15,000,000' | float` is 0.0,
    silently. Here an empty value still gives the default, but other text is an error that says to use
    `| number`. An explicit default (`| int(0)`) keeps Jinja's leniency."""
    from jinja2.filters import do_float, do_int

    jinja = do_int if kind is int else do_float

    def convert(value: Any, default: Any = _NO_DEFAULT, *args: Any) -> Any:
        if default is not _NO_DEFAULT:
            return jinja(value, default, *args)
        if value is None or (isinstance(value, str) and not value.strip()):
            return kind(0)
        try:
            return kind(value)
        except (TypeError, ValueError):
            try:
                return kind(float(value))
            except (TypeError, ValueError):
                raise BusinessError(f"{value!r} | {kind.__name__}: not a number as Python writes it; use "
                                    f"| number for `1,234.56`, `1.234,56` or `$12` (| {kind.__name__}(0) "
                                    "to take 0 instead)") from None

    return convert


class Env(ImmutableSandboxedEnvironment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        """`x.items` of a mapping that has an `items` key is that key (an API's `{"items": [...]}`, a sheet's
        `keys` column), not the dict method Jinja would find first."""
        if isinstance(obj, Mapping) and isinstance(attribute, str) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


@lru_cache(maxsize=1)
def environment() -> Env:
    # (finalize: a value that is None, such as an optional input left out, prints as nothing, not "None")
    env = Env(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True,
              finalize=lambda value: "" if value is None else value)
    for name in ("lipsum", "cycler", "joiner", "namespace"):
        env.globals.pop(name, None)
    env.filters.update(date=_date_filter, strftime=_date_filter, to_date=_to_date, number=_number,
                       int=_strict(int), float=_strict(float))
    env.globals.update(
        today=lambda tz=None: dt.datetime.now(ZoneInfo(tz) if tz else None).date(),
        to_date=_to_date, number=_number,
        timedelta=dt.timedelta,
        range=range, len=len, min=min, max=max, sum=sum, sorted=sorted, round=round,
        int=int, float=float, str=str, zip=zip, enumerate=enumerate,
    )
    return env


def is_template(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


@lru_cache(maxsize=4096)
def _compile(text: str) -> tuple[bool, Any, tuple[str, tuple[str, ...]] | None]:
    """(native?, the compiled expression or template, the path when the text is one `{{ name }}` or
    `{{ name['key'].key }}`: that one is read from the context directly, as Jinja would read it from
    mappings, without a render per item)."""
    env = environment()
    whole = _WHOLE.match(text)
    if whole:
        compiled = env.compile_expression(whole.group("expr"), undefined_to_none=False)
        bare = _NAME.match(whole.group("expr"))
        if bare is None or bare.group("name") in _NOT_NAMES:
            return True, compiled, None
        keys = tuple(m.group("single") if m.group("single") is not None else m.group("double")
                     if m.group("double") is not None else m.group("attr")
                     for m in _KEY.finditer(bare.group("keys")))
        if any(hasattr(dict, key) for key in keys):  # `.items` is the method for Jinja: leave it to Jinja
            return True, compiled, None
        return True, compiled, (bare.group("name"), keys)
    return False, env.from_string(text), None


def _read_path(context: Any, path: tuple[str, tuple[str, ...]]) -> Any:
    """The value at `path` when every step is a plain mapping holding the key, else _MISSING."""
    value = context.get(path[0], _MISSING)
    for key in path[1]:
        if type(value) is not dict or key not in value:
            return _MISSING
        value = value[key]
    return value


def check_syntax(text: str) -> str | None:
    """The syntax error in `text` as a sentence, or None when it compiles."""
    try:
        _compile(text)
    except TemplateSyntaxError as exc:
        return f"expression syntax error: {exc.message}"
    return None


def evaluate(value: Any, context: dict[str, Any]) -> Any:
    """Render `value` (strings inside lists and mappings too) against `context`."""
    if isinstance(value, str):
        if "{{" not in value and "{%" not in value:  # is_template(), inline: most strings of a step are plain
            return value
        try:
            native, compiled, path = _compile(value)
            if not native:
                return compiled.render(**context)
            result = _read_path(context, path) if path is not None else _MISSING
            if result is _MISSING:
                result = compiled(**context)
            if isinstance(result, Undefined):
                result._fail_with_undefined_error()
            if isinstance(result, str) and value != value.strip():  # "{{ key }}\n": text keeps what is around
                return value[:len(value) - len(value.lstrip())] + result + value[len(value.rstrip()):]
            return result
        except SecurityError as exc:
            raise BusinessError(f"expression refused by the sandbox: {exc} (in {value!r})") from None
        except UndefinedError as exc:
            raise BusinessError(f"expression {value.strip()!r}: {exc.message}") from None
        except TemplateSyntaxError as exc:
            raise BusinessError(f"expression {value!r}: {exc.message}") from None
        except (TypeError, ValueError, ZeroDivisionError, KeyError, IndexError, AttributeError) as exc:
            raise BusinessError(f"expression {value.strip()!r} failed: {exc}") from None
    if isinstance(value, list):
        return [evaluate(v, context) for v in value]
    if isinstance(value, dict):  # a key may be an expression too (`fields: {"{{ item.field }}": ...}`)
        return {(evaluate(k, context) if isinstance(k, str) and "{{" in k else k): evaluate(v, context)
                for k, v in value.items()}
    return value


def references(text: str) -> set[tuple[str, str]]:
    """(root, attribute) pairs an expression reads, e.g. {("inputs", "who"), ("steps", "read")}."""
    try:
        _compile(text)
    except TemplateSyntaxError:
        return set()
    env = environment()
    whole = _WHOLE.match(text)
    source = "{{" + whole.group("expr") + "}}" if whole else text
    found: set[tuple[str, str]] = set()
    for node in env.parse(source).find_all((nodes.Getattr, nodes.Getitem)):
        target = node.node
        if isinstance(target, nodes.Name):
            if isinstance(node, nodes.Getattr):
                found.add((target.name, node.attr))
            elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                found.add((target.name, node.arg.value))
    return found


def free_names(text: str) -> set[str]:
    """The names an expression reads at its root (`{{ amount > inputs.min }}`: amount, inputs)."""
    from jinja2 import meta

    whole = _WHOLE.match(text)
    try:
        parsed = environment().parse("{{" + whole.group("expr") + "}}" if whole else text)
    except TemplateSyntaxError:
        return set()
    return set(meta.find_undeclared_variables(parsed))
