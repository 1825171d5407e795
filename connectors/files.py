"""Files on disk: list, move, copy, write. Paths are relative to the project root."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from orchestrator.actions import action
from orchestrator.errors import BusinessError


class ListArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dir: str = "."
    pattern: str = "*"
    recursive: bool = False
    case_sensitive: bool = False


@action("files.list", args=ListArgs, scalar="dir")
def files_list(ctx, args: ListArgs) -> list[str]:
    """Files in a folder, sorted: `files.list: {dir: inbox, pattern: "*.pdf"}` (X.PDF too); a folder that
    does not exist is an error, an empty one gives []."""
    base = ctx.session.folder(args.dir, f"files.list {args.dir!r}")
    pattern = args.pattern if args.case_sensitive else any_case(args.pattern)
    found = base.rglob(pattern) if args.recursive else base.glob(pattern)
    return [ctx.session.relative(p) for p in sorted(found) if p.is_file()]


def any_case(pattern: str) -> str:
    """The glob `pattern` matching names in any case: `*.pdf` -> `*.[pP][dD][fF]`, for scanners that write
    X.PDF (Path.glob takes no case_sensitive= before Python 3.12; fnmatch is case-sensitive on Linux)."""
    out, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        end = _class_end(pattern, index) if char == "[" else -1
        if end > 0:  # a class such as [a-c] or [!x] gains the other case of its letters: [a-cA-C]
            body = pattern[index + 1:end]
            negated = body[:1] == "!"
            members = body[1:] if negated else body
            other = "".join(c.swapcase() if len(c.swapcase()) == 1 else c for c in members).replace("]", "")
            out.append("[" + "!" * negated + members + (other if other != members else "") + "]")
            index = end + 1
            continue
        both = {char, char.lower(), char.upper()} if len(char.lower()) == len(char.upper()) == 1 else {char}
        out.append(f"[{''.join(sorted(both))}]" if len(both) > 1 else char)
        index += 1
    return "".join(out)


def _class_end(pattern: str, start: int) -> int:
    """The index of the `]` closing the class opened at `start`, or -1 when `[` is a plain character."""
    index = start + 1
    if pattern[index:index + 1] == "!":
        index += 1
    if pattern[index:index + 1] == "]":  # a `]` first in a class is one of its members
        index += 1
    return pattern.find("]", index)


class MoveArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    src: str
    dest: str
    overwrite: bool = False


def _target(ctx, args: MoveArgs) -> tuple[Path, Path]:
    src = ctx.resolve(args.src)
    if not src.exists():
        raise BusinessError(f"{args.src}: no such file", file=args.src)
    dest = ctx.resolve(args.dest)
    if args.dest.endswith("/") or dest.is_dir():
        dest.mkdir(parents=True, exist_ok=True)
        dest = dest / src.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists() and not args.overwrite:
        stem, suffix, n = dest.stem, dest.suffix, 1
        while dest.exists():
            dest = dest.with_name(f"{stem}-{n}{suffix}")
            n += 1
    return src, dest


@action("files.move", args=MoveArgs, effect=True)
def files_move(ctx, args: MoveArgs) -> str:
    """Move a file; a folder destination (ending in /) keeps its name; never overwrites unless asked.

    `files.move: {src: "{{ item }}", dest: inbox/done/}`"""
    src, dest = _target(ctx, args)
    shutil.move(str(src), str(dest))
    return ctx.session.relative(dest)


@action("files.copy", args=MoveArgs, effect=True)
def files_copy(ctx, args: MoveArgs) -> str:
    """Copy a file: `files.copy: {src: template.xlsx, dest: "out/{{ run.id }}.xlsx"}`."""
    src, dest = _target(ctx, args)
    shutil.copy2(src, dest)
    return ctx.session.relative(dest)


class WriteArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str
    content: Any = ""
    append: bool = False


@action("files.write", args=WriteArgs, effect=True)
def files_write(ctx, args: WriteArgs) -> str:
    """Write text (a mapping or list is written as JSON): `files.write: {path: out/a.txt, content: hi}`."""
    import json

    target = ctx.resolve(args.path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = args.content if isinstance(args.content, str) else json.dumps(args.content, default=str, indent=2)
    with target.open("a" if args.append else "w", encoding="utf-8") as fh:
        fh.write(text)
    return ctx.session.relative(target)
