"""Finding a Chromium and keeping it warm: one browser per worker thread, reused across runs.

Playwright's sync API is bound to the thread that started it, so each worker thread owns its own driver
and browser. A browser that crashed or was closed is launched again on next use. Browsers of threads that
have ended (a worker stopped) are shut down by the next launch in the process, and all at exit.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from orchestrator.errors import ConfigError, Problem

SYSTEM_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
SYSTEM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome",
                "/snap/bin/chromium", "/opt/google/chrome/chrome",
                "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome")
DEFAULT_ARGS = ("--disable-gpu", "--disable-quic")
INSTALL_HINT = ("install one: `sudo apt-get install chromium` (Debian/Ubuntu), or `playwright install chromium`, "
                "or point Retake at one with RETAKE_CHROMIUM=/path/to/chrome or `settings: {browser: "
                "{executable: /path/to/chrome}}` in robots.yaml")


class BrowserMissing(ConfigError):
    """No Chromium on this machine: nothing a retry can fix."""

    def __init__(self, message: str):
        super().__init__([Problem("robots.yaml", 1, 1, message)])
        self.args = (message,)

    def __str__(self) -> str:
        return str(self.args[0])


class LaunchSettings(BaseModel):
    """`settings: {browser: ...}` in robots.yaml: how this project's workers launch Chromium."""

    model_config = ConfigDict(extra="forbid")
    executable: str | None = None
    headless: bool = True
    args: list[str] = []
    slow_mo: float = 0

    @classmethod
    def from_project(cls, raw: dict[str, Any]) -> LaunchSettings:
        try:
            return cls.model_validate(raw or {})
        except ValidationError as exc:
            detail = "; ".join(f"settings.browser.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ConfigError([Problem("robots.yaml", 1, 1, f"{detail} (allowed keys: executable, headless, "
                                                            "args, slow_mo)")]) from None

    def effective_headless(self) -> bool:
        headed = os.environ.get("RETAKE_HEADED", "").lower() in ("1", "true", "yes")
        return False if headed else self.headless


def find_executable(configured: str | None = None) -> str | None:
    """The browser to launch: the setting, RETAKE_CHROMIUM, Playwright's own, then the system's."""
    for source, candidate in (("settings.browser.executable", configured),
                              ("RETAKE_CHROMIUM", os.environ.get("RETAKE_CHROMIUM"))):
        if candidate:
            path = shutil.which(candidate) or candidate
            if not Path(path).is_file():
                raise BrowserMissing(f"{source} names {candidate!r}, which is not a file; {INSTALL_HINT}")
            return path
    own = _playwright_chromium()
    if own:
        return own
    for name in SYSTEM_BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return next((p for p in SYSTEM_PATHS if Path(p).is_file()), None)


def _playwright_chromium() -> str | None:
    """Playwright's downloaded Chromium, found on disk without starting the driver."""
    base = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
    if not base.is_dir():
        return None
    for pattern in ("chromium-*/chrome-linux*/chrome", "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium",
                    "chromium-*/chrome-win*/chrome.exe"):
        found = sorted(base.glob(pattern), reverse=True)
        if found:
            return str(found[0])
    return None


def launch_options(settings: LaunchSettings) -> dict[str, Any]:
    executable = find_executable(settings.executable)
    if executable is None:
        raise BrowserMissing(f"no Chromium or Chrome found on this machine; {INSTALL_HINT}")
    args = list(dict.fromkeys([*DEFAULT_ARGS, *settings.args]))
    headless = settings.effective_headless()
    if not headless and sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                                   or os.environ.get("WAYLAND_DISPLAY")):
        raise BrowserMissing("a headed browser (--headed, RETAKE_HEADED=1 or settings.browser.headless: false) "
                             "needs a display, and DISPLAY is not set: run headless, or under xvfb-run")
    return {"executable_path": executable, "headless": headless, "args": args,
            "slow_mo": settings.slow_mo or None}


@dataclass
class _Warm:
    thread: threading.Thread
    key: tuple[Any, ...]
    playwright: Any
    browser: Any
    owned: bool = True
    driver_pid: int | None = None


_lock = threading.Lock()
_warm: dict[int, _Warm] = {}


def use_browser(browser: Any) -> None:
    """Make this thread's robots use `browser` (tests hand over pytest-playwright's browser)."""
    with _lock:
        _warm[threading.get_ident()] = _Warm(threading.current_thread(), ("given",), None, browser, owned=False)


def thread_browser(settings: LaunchSettings) -> Any:
    """This thread's warm browser, launched (or relaunched after a crash) when needed."""
    me = threading.get_ident()
    warm = _warm.get(me)
    if warm is not None and warm.thread is not threading.current_thread():
        with _lock:  # a thread id reused by a new thread: the old thread's browser is not ours
            _warm.pop(me, None)
        _terminate(warm)
        warm = None
    options = launch_options(settings) if warm is None or warm.owned else {}
    key = tuple(sorted((k, str(v)) for k, v in options.items()))
    if warm is not None and warm.browser.is_connected() and (not warm.owned or warm.key == key):
        return warm.browser
    if warm is not None and not warm.owned:
        raise _crashed("the browser handed to this thread is closed")
    _reap_dead_threads()
    if warm is not None:
        _close(warm)  # launch settings changed (a connected browser), or it crashed (nothing to close)
    from playwright.sync_api import sync_playwright

    if warm is not None and _driver_alive(warm):
        playwright, driver_pid = warm.playwright, warm.driver_pid
    else:
        if warm is not None and warm.owned and warm.playwright is not None:
            try:  # a driver that died (stopped at a time limit): end its Playwright, whose loop is this thread's
                warm.playwright.stop()
            except Exception:  # noqa: BLE001
                pass
        with _lock:  # the driver is the child process that appears now
            before = _children()
            playwright = sync_playwright().start()
            new = sorted(_children() - before)
        driver_pid = new[0] if len(new) == 1 else None
    try:
        browser = playwright.chromium.launch(**{k: v for k, v in options.items() if v is not None})
    except Exception as exc:
        from orchestrator.errors import ApplicationError

        raise ApplicationError(f"could not launch {options['executable_path']}: {exc}") from exc
    with _lock:
        _warm[me] = _Warm(threading.current_thread(), key, playwright, browser, driver_pid=driver_pid)
    browser.on("disconnected", lambda _gone: _lost(me, browser))
    return browser


def _lost(thread_id: int, browser: Any) -> None:
    """The thread's browser went away without being closed (killed, crashed). A call waiting on it may
    never get its answer (Playwright can lose it): stop the thread's driver, so that the call fails now
    rather than at its time limit, and the thread's next use starts afresh."""
    warm = _warm.get(thread_id)
    if warm is not None and warm.browser is browser:
        stop_driver(thread_id)


def is_current(browser: Any) -> bool:
    """Is `browser` still this thread's browser (not stopped, crashed or replaced)?"""
    warm = _warm.get(threading.get_ident())
    return warm is not None and warm.browser is browser and browser.is_connected()


def discard_browser() -> None:
    """This thread's browser failed in a way that says it is gone (even if Playwright has not noticed
    yet): the next use launches a fresh one. Nothing waits on the old one."""
    warm = _warm.get(threading.get_ident())
    if warm is not None and warm.owned:
        warm.browser = _Gone()


def _not_lost_driver_noise(record: Any) -> bool:
    """A logging filter: the stopped driver's pending replies fail, and asyncio reports each one ("Future
    exception was never retrieved ... Connection closed while reading from the driver") when it is
    collected; expected after `stop_driver`, so kept out of the output."""
    return "Connection closed while reading from the driver" not in (
        f"{record.getMessage()} {record.exc_info[1] if record.exc_info else ''}")


class _Gone:
    def is_connected(self) -> bool:
        return False


def _crashed(message: str) -> Exception:
    from orchestrator.errors import ApplicationError

    return ApplicationError(message)


def stop_driver(thread_id: int) -> bool:
    """Stop the Playwright driver of a thread whose call must end now (a time limit passed): the call
    fails at once with "Connection closed", and the thread's next use starts a new driver and browser.
    Returns False when the thread has no driver of its own to stop (a browser handed over by a test)."""
    warm = _warm.get(thread_id)
    if warm is None or not warm.owned or warm.driver_pid is None:
        return False
    warm.browser = _Gone()
    import logging

    logging.getLogger("asyncio").addFilter(_not_lost_driver_noise)  # added once: the same filter is kept once
    try:
        os.kill(warm.driver_pid, signal.SIGKILL)
    except OSError:
        return False
    return True


def _children() -> set[int]:
    """Our child processes (Linux /proc; elsewhere none are known and drivers end with the process)."""
    me, found = os.getpid(), set()
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == me:
                found.add(int(entry.name))
    return found


def _driver_alive(warm: _Warm) -> bool:
    if warm.playwright is None:
        return False
    if warm.driver_pid is None:
        return True
    try:
        os.kill(warm.driver_pid, 0)
    except OSError:
        return False
    return True


def _close(warm: _Warm) -> None:
    if not warm.owned:
        return
    browser, warm.browser = warm.browser, _Gone()  # closed on purpose: not a lost browser (`_lost`)
    try:
        if browser.is_connected():
            browser.close()
    except Exception:  # noqa: BLE001
        pass


def _reap_dead_threads() -> None:
    """Stop the drivers (and so the browsers) of threads that ended without closing them."""
    with _lock:
        dead = [ident for ident, warm in _warm.items() if not warm.thread.is_alive()]
        gone = [_warm.pop(ident) for ident in dead]
    for warm in gone:
        _terminate(warm)


def _terminate(warm: _Warm) -> None:
    if warm.owned and warm.driver_pid is not None:
        try:
            os.kill(warm.driver_pid, signal.SIGTERM)
        except OSError:
            pass


@atexit.register
def _shutdown() -> None:
    me = threading.get_ident()
    for ident, warm in list(_warm.items()):
        if ident == me:
            _close(warm)
            try:
                if warm.playwright is not None:
                    warm.playwright.stop()
            except Exception:  # noqa: BLE001
                pass
        else:
            _terminate(warm)
    _warm.clear()
