"""Per-process caches for workers: loaded projects (reloaded when a file changes) and open run sessions."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from orchestrator.context import RunSession
from orchestrator.ledger import Ledger, database_url, engine_for
from orchestrator.loader import LoadedProject, load_project
from orchestrator.logs import close_run_log, open_run_log, register_secrets

_lock = threading.RLock()
_projects: dict[str, tuple[float, LoadedProject]] = {}
_sessions: dict[str, RunSession] = {}


def _stamp(project_dir: Path) -> float:
    latest = 0.0
    for path in [project_dir / "robots.yaml", *project_dir.glob("robots/*.y*ml"),
                 *project_dir.glob("schedules/*.y*ml")]:
        try:
            latest = max(latest, path.stat().st_mtime)
        except OSError:
            pass
    return latest


def project(project_dir: str | Path | None = None) -> LoadedProject:
    """The project a worker serves: RETAKE_PROJECT, else the folder the message names."""
    folder = Path(os.environ.get("RETAKE_PROJECT") or project_dir or ".").resolve()
    key = str(folder)
    with _lock:
        stamp = _stamp(folder)
        cached = _projects.get(key)
        if cached and cached[0] == stamp:
            return cached[1]
        loaded = load_project(folder)
        _projects[key] = (stamp, loaded)
        return loaded


_ledgers: dict[str, Ledger] = {}


def ledger_for(loaded: LoadedProject | str | Path) -> Ledger:
    """The ledger of a project (one per database URL per process); a project folder will do, so that a
    project whose files have problems can still have its runs recorded."""
    url = database_url(loaded.root if isinstance(loaded, LoadedProject) else Path(loaded))
    engine = engine_for(url)
    with _lock:
        ledger = _ledgers.get(url)
        if ledger is None or ledger.engine is not engine:
            ledger = _ledgers[url] = Ledger(engine)
        return ledger


def forget_ledgers() -> None:
    with _lock:
        _ledgers.clear()


def session(loaded: LoadedProject, run: dict) -> RunSession:
    """The open session of a run in this process, opened on first use."""
    with _lock:
        if run["id"] in _sessions:
            return _sessions[run["id"]]
        robot = loaded.spec.robots.get(run["robot"])
        if robot is None:
            from orchestrator.errors import ConfigError

            raise ConfigError(f"robot {run['robot']!r} is not in {loaded.root / 'robots.yaml'} on this worker")
        secrets = {}
        missing = []
        for name in robot.secrets:
            value = os.environ.get(name)
            if value is None:
                missing.append(name)
            else:
                secrets[name] = value
        if missing:
            from orchestrator.errors import ConfigError

            message = (f"secret(s) {', '.join(missing)} of robot {run['robot']!r} are not set in this worker's "
                       "environment: export them before starting it")
            if ("robots", run["robot"]) not in loaded.origin:
                raise ConfigError(message)
            # Where the robot declares the first missing one: in the robot's own file, not robots.yaml.
            where = ("secrets", robot.secrets.index(missing[0]))
            raise ConfigError([loaded.problem("robots", run["robot"], where, message)])
        register_secrets(list(secrets.values()))
        opened = RunSession(project=loaded, robot_name=run["robot"], run_id=run["id"], inputs=run["inputs"] or {},
                            secrets=secrets, started_at=run.get("started_at"), rerun=bool(run.get("parent_run_id")))
        open_run_log(run["id"], opened.run_dir / "log.jsonl")
        _sessions[run["id"]] = opened
        return opened


def close_session(run_id: str) -> None:
    with _lock:
        opened = _sessions.pop(run_id, None)
    if opened:
        try:
            opened.close()
        finally:
            close_run_log(run_id)


def open_runs() -> list[str]:
    with _lock:
        return list(_sessions)


def close_all() -> None:
    for run_id in list(_sessions):
        close_session(run_id)
