"""What a step sees: the run's session (resources, secrets, folders) and the item at hand."""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from orchestrator.errors import BusinessError

if TYPE_CHECKING:
    from orchestrator.loader import LoadedProject
    from orchestrator.spec import Robot, Step


class RunSession:
    """One run as one worker process sees it: opened resources live until `close()`."""

    def __init__(self, *, project: LoadedProject, robot_name: str, run_id: str, inputs: dict[str, Any],
                 secrets: dict[str, str], attempt: int = 1, started_at: dt.datetime | None = None,
                 rerun: bool = False):
        self.project = project
        self.rerun = rerun  # a rerun's items carry the checkpoints of the items they repeat
        self.robot_name = robot_name
        self.robot: Robot = project.spec.robots[robot_name]
        self.run_id = run_id
        self.inputs = inputs
        self.secrets = secrets
        self.attempt = attempt
        self.started_at = started_at or dt.datetime.now(dt.timezone.utc)
        self.run_dir = project.runs_dir / run_id
        self._resources: dict[tuple[str, int], Any] = {}
        self._stack = ExitStack()
        self._lock = threading.Lock()
        self._base: dict[str, Any] | None = None
        self._real_root: Path | None = None

    @property
    def root(self) -> Path:
        return self.project.root

    @property
    def real_root(self) -> Path:
        """The project folder with symbolic links resolved (once per run: every item's paths use it)."""
        if self._real_root is None:
            self._real_root = self.root.resolve()
        return self._real_root

    @property
    def resources(self) -> dict[str, Any]:
        """This thread's open resources (thread-bound libraries such as Playwright stay in their thread)."""
        me = threading.get_ident()
        return {name: value for (name, owner), value in list(self._resources.items()) if owner == me}

    def resource(self, name: str, factory: Callable[[], AbstractContextManager[Any]]) -> Any:
        """The run's resource `name` (a browser context, a connection...), opened on first use."""
        key = (name, threading.get_ident())
        if key not in self._resources:
            manager = factory()
            value = manager.__enter__()
            with self._lock:
                self._stack.push(manager.__exit__)
                self._resources[key] = value
        return self._resources[key]

    def drop_resource(self, name: str) -> None:
        """Forget a broken resource so the next use opens a new one (closing happens at run end)."""
        self._resources.pop((name, threading.get_ident()), None)

    def close(self) -> None:
        self._resources.clear()
        self._stack.close()

    def files(self, directory: str = ".", pattern: str = "*", case_sensitive: bool = False) -> list[str]:
        """Sorted paths (relative to the project) of files in `directory` matching `pattern`, in any case
        unless asked (`*.pdf` finds X.PDF); a folder that does not exist is an error (a mistyped inbox must
        not pass as an empty one)."""
        from connectors.files import any_case

        base = self.folder(directory, f"files({str(directory)!r}, {pattern!r})")
        wanted = pattern if case_sensitive else any_case(pattern)
        with os.scandir(base) as entries:  # the directory's listing says which entries are links: no stat each
            found = [(Path(e.path), e.is_symlink()) for e in entries
                     if e.is_file() and fnmatch.fnmatchcase(e.name, wanted)]
        # `base` is resolved: a file in it that is not a link is its own real path.
        return [self.relative(p) if link else str(p.relative_to(self.real_root)) for p, link in sorted(found)]

    def read_table(self, path: str, **options: Any) -> list[dict[str, Any]]:
        """Rows of a CSV, Excel or JSON file, for `items:` (options as for the `table.read` action)."""
        from connectors.tables_io import read_rows

        target = self.resolve(path)
        options.setdefault("fmt", options.pop("format", None))
        return read_rows(target, name=self.relative(target), **options)

    def pdf_pages(self, path: str, password: str | None = None) -> int:
        """The number of pages of a PDF, for `items:` that take one invoice per page."""
        from connectors.pdf_open import page_count

        return page_count(self, path, password=password)

    def query(self, url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
        """Rows of a SQL query, for `items:` (as the `sql.query` action; values as :name parameters)."""
        from connectors.sql import run_query

        return run_query(self, url, sql, params)

    def resolve(self, path: str | Path) -> Path:
        """A path from a robot file, relative to the project root; refuses to leave the project."""
        root = self.real_root
        candidate = (root / Path(path)).resolve()
        if candidate != root and root not in candidate.parents:
            raise BusinessError(f"path {str(path)!r} is outside the project folder {root}; "
                                "keep robot files and data inside the project")
        return candidate

    def folder(self, directory: str | Path, what: str) -> Path:
        """The project folder `directory`, resolved; BusinessError naming it when it is not a folder."""
        base = self.resolve(directory)
        if not base.is_dir():
            shown = self.relative(base)
            state = "is a file, not a folder" if base.exists() else "does not exist"
            raise BusinessError(f"{what}: folder {shown} {state} (in {self.root}): create it, or fix the path")
        return base

    def relative(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.real_root))
        except ValueError:
            return str(path)

    def expression_base(self) -> dict[str, Any]:
        """What every expression of the run can read (built once per session, a fresh dict each time)."""
        base = self._base
        if base is None:
            tz = ZoneInfo(self.project.spec.timezone)
            base = self._base = {
                "inputs": self.inputs,
                "secrets": self.secrets,
                "run": {"id": self.run_id, "robot": self.robot_name, "attempt": self.attempt,
                        "started_at": self.started_at, "dir": self.relative(self.run_dir)},
                "project": {"name": self.project.spec.project, "timezone": self.project.spec.timezone},
                "files": self.files,
                "read_table": self.read_table,
                "pdf_pages": self.pdf_pages,
                "query": self.query,
                "now": lambda zone=None: dt.datetime.now(ZoneInfo(zone) if zone else tz),
            }
        return dict(base)


@dataclass
class StepContext:
    """The item being worked: what `{{ ... }}` can read and what actions receive as `ctx`."""

    session: RunSession
    item: Any = None
    index: int = 0
    key: str = ""
    item_id: int | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, Any] = field(default_factory=dict)
    step: Step | None = None
    error: dict[str, Any] | None = None
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    log: Any = None
    output_used: bool = True  # False: nothing can read this step's output (an action may skip costly parts)
    attempt: int = 1  # the item's try: 2 after a restart from its first step, or a redelivery after a crash
    tries: dict[int, int] = field(default_factory=dict)  # id(step) -> attempts made in the item's earlier tries

    @property
    def run_id(self) -> str:
        return self.session.run_id

    @property
    def root(self) -> Path:
        return self.session.root

    def resolve(self, path: str | Path) -> Path:
        return self.session.resolve(path)

    def expressions(self) -> dict[str, Any]:
        ctx = self.session.expression_base()
        ctx.update(self.vars)
        ctx.update(item=self.item, index=self.index, key=self.key, steps=self.steps, vars=self.vars,
                   attempt=self.attempt)
        if self.error is not None:
            ctx["error"] = self.error
        return ctx

    def artifact_path(self, name: str) -> Path:
        """A fresh path in this item's artifact folder (created)."""
        folder = self.session.run_dir / "artifacts" / f"item-{self.index:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name

    def add_artifact(self, path: Path, kind: str) -> str:
        rel = self.session.relative(path)
        self.artifacts.append({"kind": kind, "path": rel, "step": self.step.label if self.step else None})
        return rel
