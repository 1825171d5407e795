"""How a validation error reads to the person who wrote the YAML, not to the Python that checked it.

Two things YAML does behind the writer's back show up in pydantic's messages: a bare `no`, `No`, `yes`,
`on` or `off` is read as a boolean (YAML 1.1), and a pattern is shown as Python's repr, which doubles
every backslash (`'PO-(\\\\d{5}'` for the `'PO-(\\d{5}'` the writer typed).
"""

from __future__ import annotations

import re
from typing import Any

# Stands for "the word as written at this problem's place": the message builders know the boolean YAML
# made of it, only the YAML source knows the word (`Source.problem` fills it in; `default` otherwise).
_WORD = re.compile("\x00([^\x00]*)\x00")


def is_yaml_bool(error: dict[str, Any]) -> bool:
    """A boolean where a text or a mapping key was expected: YAML read a bare word such as `no` as one."""
    return isinstance(error.get("input"), bool) and error["type"] == "string_type"


def read_as_bool(value: bool) -> str:
    """The sentence for a boolean YAML made of a word meant as text (a name, a column, a header)."""
    word = f"\x00{'yes' if value else 'no'}\x00"
    return f"YAML read {word} as {str(value).lower()}, not as text: write it in quotes (\"{word}\")"


def fill_word(message: str, word: str | None) -> str:
    """`message` with the placeholder of `read_as_bool` replaced by the word as written."""
    return _WORD.sub(lambda m: word if word is not None else m.group(1), message)


def as_written(message: str, value: Any) -> str:
    """`message` with the Python repr of each text in `value` shown as the writer typed it, in single
    quotes: `'PO-(\\d{5}'`, not `'PO-(\\\\d{5}'`."""
    for text in _texts(value):
        shown = repr(text)
        if "\\" in text and shown in message and "'" not in text and "\n" not in text:
            message = message.replace(shown, f"'{text}'")
    return message


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []
