"""YAML loaded safely, with the line and column of every node kept for error messages.

pydantic does not know YAML positions, so we compose the node tree ourselves, build plain Python
values from it, and remember where each path (("robots", "greet", "steps", 0), ...) starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from orchestrator.errors import Problem
from orchestrator.wording import fill_word, read_as_bool

Path_ = tuple[Any, ...]


@dataclass
class Source:
    """One YAML file: its data and where each node of it starts (1-based line and column)."""

    file: str
    data: Any = None
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    bools: dict[tuple[int, int], str] = field(default_factory=dict)  # where YAML read a word as true/false

    def where(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Position of the deepest known node on `path` (the key itself when `key`)."""
        path = tuple(path)
        for end in range(len(path), -1, -1):
            sub = path[:end]
            if key and sub in self.key_positions:
                return self.key_positions[sub]
            if sub in self.positions:
                return self.positions[sub]
        return (1, 1)

    def problem(self, path: Path_, message: str, *, key: bool = False) -> Problem:
        line, col = self.where(path, key=key)
        return Problem(self.file, line, col, fill_word(message, self.bools.get((line, col))))


def load_source(path: Path, display: str | None = None) -> Source:
    src = Source(file=display or str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        src.problems.append(Problem(src.file, 1, 1, f"cannot read this file: {exc}"))
        return src
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = getattr(exc, "problem", None) or str(exc)
        src.problems.append(Problem(src.file, line, col, f"YAML syntax error: {reason}{_escape_hint(reason)}"))
        return src
    if node is None:
        src.data = {}
        return src
    src.data = _build(node, (), src)
    return src


_constructor = yaml.SafeLoader(stream="")
_UNKNOWN_ESCAPE = re.compile(r"found unknown escape character '(.)'")
_REGEX_ESCAPES = set("dDwWsSBAZzGhHkKpQE.()[]{}+*?|^$-")


def _escape_hint(reason: str) -> str:
    """In double quotes YAML reads `\\d` as an escape: a regular expression belongs in single quotes."""
    found = _UNKNOWN_ESCAPE.search(reason)
    if found is None or found.group(1) not in _REGEX_ESCAPES:
        return ""
    return (f"; in double quotes YAML reads \\{found.group(1)} as an escape: write regular expressions "
            r"in single quotes: '\d+'")


def _remember_bool(node: yaml.Node, value: Any, src: Source) -> None:
    if isinstance(value, bool):
        src.bools[(node.start_mark.line + 1, node.start_mark.column + 1)] = node.value


def _build(node: yaml.Node, path: Path_, src: Source) -> Any:
    src.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        _constructor.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _constructor.construct_object(key_node, deep=True)
            _remember_bool(key_node, key, src)
            if key is True and key_node.value.lower() == "on":
                key = "on"  # YAML 1.1 reads a bare `on:` as true; in our files it is the key `on`
            if not isinstance(key, (str, int, float, bool)) or key is None:
                key = str(key)
            if key in out:
                message = f"duplicate key {key!r}: the later one would silently win; keep one"
                if isinstance(key, bool):  # `no:` and `off:` are both false
                    message = f"duplicate key: {fill_word(read_as_bool(key), key_node.value)}, as an earlier key"
                src.problems.append(Problem(src.file, key_node.start_mark.line + 1,
                                            key_node.start_mark.column + 1, message))
            src.key_positions[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _build(value_node, path + (key,), src)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(child, path + (i,), src) for i, child in enumerate(node.value)]
    value = _constructor.construct_object(node, deep=True)
    _remember_bool(node, value, src)
    return value
