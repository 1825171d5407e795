"""Shared fixtures: real services (skip with a reason locally, fail under CI=true), projects, brokers."""

from __future__ import annotations

import os
import socket
import textwrap
import uuid
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip when the service is down on a developer machine; fail under CI, where it must run."""
    if _listening(host, port):
        return
    message = f"{name} is not listening on {host}:{port}; start it (see .ci/run) to run this test"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def redis_url() -> str:
    require_service("Redis", "127.0.0.1", 6379)
    return os.environ.get("RETAKE_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture(scope="session")
def amqp_url() -> str:
    require_service("RabbitMQ", "127.0.0.1", 5672)
    return os.environ.get("RETAKE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


@pytest.fixture(scope="session")
def postgres_server() -> str:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    return "postgresql+psycopg://postgres@127.0.0.1:5432"


@pytest.fixture
def postgres_url(postgres_server: str):
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    import psycopg

    name = f"retake_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{postgres_server}/{name}"
    from orchestrator.ledger.db import dispose_all

    dispose_all()
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def embedded(monkeypatch):
    """A clean embedded default: the in-process broker, no broker URL, no database URL."""
    monkeypatch.delenv("RETAKE_BROKER_URL", raising=False)
    monkeypatch.delenv("RETAKE_DATABASE_URL", raising=False)
    monkeypatch.delenv("RETAKE_PROJECT", raising=False)
    from orchestrator import submit
    from orchestrator.broker import setup_broker

    submit.stop_embedded_worker()
    broker = setup_broker(None, force=True)
    yield broker
    submit.stop_embedded_worker()


MANIFEST_HEAD = """\
version: 1
project: test-project
timezone: Asia/Seoul
economics: {currency: KRW, hourly_cost: 60000, robot_hourly_cost: 600}
defaults:
  retry: {attempts: 3, backoff: 0s, max_backoff: 0s}
"""


@pytest.fixture
def make_project(tmp_path: Path):
    """Write a project: `make_project(robots_yaml_body, files={"robots/x.yaml": "..."})` -> its folder."""

    def make(body: str = "", *, files: dict[str, str] | None = None, head: str = MANIFEST_HEAD) -> Path:
        root = tmp_path / "project"
        root.mkdir(exist_ok=True)
        (root / "robots.yaml").write_text(head + textwrap.dedent(body), encoding="utf-8")
        for rel, text in (files or {}).items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(text), encoding="utf-8")
        return root

    return make


# --- Browser tests: pytest-playwright launches the Chromium Retake finds (see connectors/browser_launch.py).
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, pytestconfig):
    from connectors.browser_launch import BrowserMissing, LaunchSettings, launch_options

    try:
        options = launch_options(LaunchSettings(headless=not pytestconfig.getoption("--headed")))
    except BrowserMissing as exc:
        (pytest.fail if IN_CI else pytest.skip)(str(exc))
    return {**browser_type_launch_args, **{k: v for k, v in options.items() if v is not None}}


@pytest.fixture
def secrets_env(monkeypatch):
    """The sample ERP's sign-in, as the robots' secrets."""
    monkeypatch.setenv("ERP_USER", "clerk")
    monkeypatch.setenv("ERP_PASSWORD", "demo-password")


@pytest.fixture(scope="session")
def erp():
    """The sample ERP on a free port for the whole session (tests reset what they change)."""
    from backoffice.erp import start_erp

    server = start_erp()
    yield server
    server.stop()


_exit_status: list[int] = []


def pytest_sessionfinish(session, exitstatus):
    _exit_status.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """End the test process at once when pytest is done, with pytest's own exit status.

    A Chromium killed in the middle of a Playwright call (the crash-recovery test) can leave a greenlet
    thread waiting forever; the interpreter's teardown then crashes on it and turns a green run red.
    Everything pytest reports is written by now, so nothing is lost by skipping that teardown.
    """
    if _exit_status:
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status[0])
