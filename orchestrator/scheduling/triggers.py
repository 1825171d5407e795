"""File triggers: `on: {files: "data/inbox/*.pdf"}` starts a run when new files are complete.

A file is complete when its size and modification time are the same at two looks `poll` apart (a program
still writing it changes them). Each file is handled once: its path, size and modification time are
claimed in the ledger (`trigger_files`), so a restart or a second scheduler does not handle it again; a
file replaced later by new content is a new file. Files already in the folder when the scheduler starts
are new too, unless the ledger has them.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.spec import FileTrigger


@dataclass(frozen=True)
class SeenFile:
    path: str          # relative to the project folder, with forward slashes
    size: int
    mtime_ns: int

    @property
    def fingerprint(self) -> str:
        return f"{self.size}:{self.mtime_ns}"


@dataclass
class FileWatcher:
    """The files of one trigger: what was seen at the last look, and what is known to be handled."""

    root: Path
    trigger: FileTrigger
    handled: set[tuple[str, str]] = field(default_factory=set)
    _last: dict[str, SeenFile] = field(default_factory=dict)
    _next_look: dt.datetime | None = None

    def due(self, now: dt.datetime) -> bool:
        return self._next_look is None or now >= self._next_look

    def next_look(self) -> dt.datetime | None:
        return self._next_look

    def look(self, now: dt.datetime) -> list[SeenFile]:
        """New files that did not change since the previous look, oldest first."""
        self._next_look = now + dt.timedelta(seconds=self.trigger.poll)
        current = {f.path: f for f in self._scan()}
        complete = [f for path, f in current.items()
                    if self._last.get(path) == f and (f.path, f.fingerprint) not in self.handled]
        self._last = current
        return sorted(complete, key=lambda f: (f.mtime_ns, f.path))

    def remember(self, files: list[SeenFile]) -> None:
        self.handled.update((f.path, f.fingerprint) for f in files)

    def _scan(self) -> list[SeenFile]:
        found: dict[str, SeenFile] = {}
        for pattern in self.trigger.patterns:
            full = pattern if os.path.isabs(pattern) else str(self.root / pattern)
            for name in glob.glob(full, recursive=True):
                try:
                    stat = os.stat(name)
                except OSError:
                    continue  # removed between the listing and the look
                if not os.path.isfile(name):
                    continue
                rel = Path(name).resolve().relative_to(self.root.resolve()) if _inside(name, self.root) \
                    else Path(name).resolve()
                found[rel.as_posix()] = SeenFile(rel.as_posix(), stat.st_size, stat.st_mtime_ns)
        return list(found.values())


def _inside(path: str, root: Path) -> bool:
    try:
        Path(path).resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False
