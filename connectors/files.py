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


@action("files.list", args=ListArgs, scalar="dir")
def files_list(ctx, args: ListArgs) -> list[str]:
    """Files in a folder, sorted: `files.list: {dir: inbox, pattern: "*.pdf"}`; a folder that does not
    exist is an error, an empty one gives []."""
    base = ctx.session.folder(args.dir, f"files.list {args.dir!r}")
    found = base.rglob(args.pattern) if args.recursive else base.glob(args.pattern)
    return [ctx.session.relative(p) for p in sorted(found) if p.is_file()]


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
