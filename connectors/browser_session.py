"""A run's browser: one context and page per run and thread, with evidence, traces and secret hygiene.

The context is a run-scoped resource (`ctx.session.resource("browser", ...)`): a login persists across a
run's items. Once the run has been reported, the context is cleared and kept for the robot's next run in
this thread (`browser_reuse`, `orchestrator.tidy`). Traces are recorded in chunks (one per item, or one
per ten items when only failures keep theirs) and kept as the settings ask (on failure by default). A
run closed by another worker thread is closed by its own thread when that thread next opens a browser
(Playwright is bound to its thread).
Values of the robot's secrets typed into a page are hidden on screen (rendered as dots, masked in
screenshots) and scrubbed from trace files.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any, Self

from connectors import (
    browser_evidence,
    browser_forms,
    browser_launch,
    browser_loading,
    browser_reuse,
    browser_secrets,
)
from connectors.browser_dialogs import DialogLog
from connectors.browser_guard import OPEN_LIMIT_S, interruptible
from connectors.browser_options import robot_options
from connectors.browser_settle import Settling
from orchestrator import tidy
from orchestrator.errors import ResourceLost

SECRET_MARK = "data-retake-secret"
ROTATE_EVERY = 10


_deferred: dict[int, list[BrowserSession]] = {}
_deferred_lock = threading.Lock()


class BrowserSession(Settling):
    """The open context and page of one run in one thread."""

    def __init__(self, session: Any):
        self.session = session
        self.options = robot_options(session)
        self.settings = browser_launch.LaunchSettings.from_project(session.project.spec.settings.browser)
        self.trace_mode = self.options.trace or session.project.spec.settings.keep_traces
        self.owner = threading.get_ident()
        self.browser: Any = None
        self.context: Any = None
        self.page: Any = None
        self.item_index: int | None = None
        self.chunk_open = False
        self.items_in_chunk = 0
        self.crashed = False
        self.navigations = 0  # of the current page's main frame
        self.frame_navigations: dict[Any, int] = {}  # of each frame of every page (an iframe's own page)
        self.loading: browser_loading.LoadingWatch | None = None  # the first page's given-up navigations
        self.downloads = 0
        self.origins: set[str] = set()
        self.handlers: list[tuple[Any, str, Any]] = []
        self.dialogs = DialogLog(self.options.dialogs)  # answered, logged, kept per item
        self.base_url = self._render(self.options.base_url)
        self.username: str | None = None  # of http_credentials, when the robot has them
        self.hidden: list[str] = []  # values derived from http_credentials, kept secret
        self.state_file = self._state_file()

    # --- opening and closing -------------------------------------------------------------------------
    def __enter__(self) -> Self:
        _close_deferred()
        browser = self.browser = browser_launch.thread_browser(self.settings)
        opts = self.options
        kwargs: dict[str, Any] = {
            "viewport": opts.viewport.model_dump(), "accept_downloads": True,
            "ignore_https_errors": opts.ignore_https_errors,
            "timezone_id": opts.timezone or self.session.project.spec.timezone,
        }
        if opts.locale:
            kwargs["locale"] = opts.locale
        if opts.user_agent:
            kwargs["user_agent"] = opts.user_agent
        if opts.http_credentials:
            kwargs["http_credentials"] = self._credentials(opts.http_credentials)
        if self.state_file is not None and self.state_file.is_file():
            kwargs["storage_state"] = str(self.state_file)
        tracing = None if self.trace_mode == "never" else {"screenshots": opts.trace_screenshots,
                                                            "snapshots": True, "sources": False}
        self.tracing = tracing
        options_hash = hashlib.sha256(repr((sorted(kwargs.items()), tracing)).encode()).hexdigest()
        self.reuse_key = None if self.state_file is not None or not opts.reuse_context else \
            f"{self.session.robot_name} {options_hash}"  # (hashed: credentials may be among the options)
        self.kept = browser_reuse.take(browser, self.reuse_key) if self.reuse_key else None
        try:
            if self.kept is not None:
                self.context, page = self.kept.context, self.kept.page
            else:
                self.context, page = browser.new_context(**kwargs), None
                self.context.add_init_script(browser_forms.INSTALL_SCRIPT)
        except Exception as exc:
            browser_launch.discard_browser()
            raise ResourceLost(f"could not open a browser context ({exc}); the item starts again in a fresh "
                               "browser") from exc
        self.context.set_default_timeout(opts.timeout * 1000)
        self.context.set_default_navigation_timeout(opts.navigation_timeout * 1000)
        if opts.block:
            blocked = set(opts.block)
            self.context.route("**/*", lambda route: route.abort() if route.request.resource_type in blocked
                               else route.fallback())
        if tracing is not None:
            self.context.tracing.start(**tracing)
            self.chunk_open = True
        self.page = page or self.context.new_page()
        self.loading = self.kept.watch if self.kept is not None and self.kept.watch is not None \
            else browser_loading.watch(self.context, self.page)
        self._watch(self.page)
        self.context.on("page", self._watch)
        return self

    def _watch(self, page: Any) -> None:
        handlers = {"dialog": self.dialogs.handle,
                    "crash": lambda _p: setattr(self, "crashed", True),
                    "framenavigated": self._navigated, "download": self._downloaded}
        for event, handler in handlers.items():
            page.on(event, handler)
            self.handlers.append((page, event, handler))

    def _downloaded(self, _download: Any) -> None:
        self.downloads += 1

    def _navigated(self, frame: Any) -> None:
        if self.page is not None and frame == self.page.main_frame:
            self.navigations += 1
        self.frame_navigations[frame] = self.frame_navigations.get(frame, 0) + 1
        origin = browser_reuse.origin_of(frame.url)
        if origin is not None:
            self.origins.add(origin)

    def __exit__(self, *exc: object) -> None:
        if threading.get_ident() != self.owner:
            with _deferred_lock:
                _deferred.setdefault(self.owner, []).append(self)
            return
        self.close()

    def close(self) -> None:
        """Save what the run keeps (its last trace when traces are always kept, its storage state) now;
        clear the context for reuse, or close it, once the run has been reported (`orchestrator.tidy`)."""
        if self.context is None:
            return
        context, page = self.context, self.page
        self.context = self.page = None
        _politely(lambda: self._save_what_stays(context))
        tidy.later(lambda: _politely(lambda: self._keep_or_close(context, page)))

    def _save_what_stays(self, context: Any) -> None:
        if self.chunk_open and self.trace_mode == "always" and self.item_index is not None:
            self.save_trace(self._item_path(self.item_index, "trace.zip"), context)
        if self.state_file is not None and not self.crashed:
            self._save_state(context)

    def _keep_or_close(self, context: Any, page: Any) -> None:
        page = page if page in context.pages else next(iter(context.pages), None)
        if self.reuse_key is None or self.crashed or page is None or not browser_launch.is_current(self.browser):
            context.close()
            return
        kept = self.kept or browser_reuse.Kept(self.browser, self.reuse_key, context, page)
        watch = self.loading
        if watch is not None and watch.page is not page:  # (the run ended in another tab)
            watch.detach()
            watch = None
        kept.page, kept.watch = page, watch
        kept.routed = bool(self.options.block)
        kept.origins |= self.origins
        browser_reuse.keep(kept, tracing=self.tracing is not None)  # (its dialogs still answered as asked)
        context.remove_listener("page", self._watch)
        for watched, event, handler in self.handlers:
            watched.remove_listener(event, handler)

    # --- per item ------------------------------------------------------------------------------------
    def for_item(self, ctx: Any) -> BrowserSession:
        """Called by every action: a new item starts a new trace chunk. With traces kept on failure only,
        chunks are renewed every ROTATE_EVERY items (renewing costs two round trips), so the trace of a
        failed item may also show a few items before it."""
        self.dialogs.ctx = ctx
        if ctx.index != self.item_index:
            self.dialogs.start_item(ctx)
            if self.state_file is not None and self.item_index is not None:
                self._save_state()  # also here: a run closed from another thread saves it only later
            if self.trace_mode != "never":
                if not self.chunk_open:
                    self._start_chunk(ctx)
                elif self.trace_mode == "always" and self.item_index is not None:
                    self.save_trace(self._item_path(self.item_index, "trace.zip"))
                    self._start_chunk(ctx)
                elif self.items_in_chunk >= ROTATE_EVERY:
                    self.context.tracing.stop_chunk()
                    self._start_chunk(ctx)
                else:
                    self.items_in_chunk += 1
            self.item_index = ctx.index
        return self

    def _save_state(self, context: Any = None) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        (context or self.context).storage_state(path=str(self.state_file))

    def _start_chunk(self, ctx: Any) -> None:
        self.context.tracing.start_chunk(title=f"item {ctx.key}" if self.trace_mode == "always" else None)
        self.chunk_open = True
        self.items_in_chunk = 1

    def _item_path(self, index: int, name: str) -> Path:
        folder = self.session.run_dir / "artifacts" / f"item-{index:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name

    def save_trace(self, path: Path, context: Any = None) -> Path:
        (context or self.context).tracing.stop_chunk(path=str(path))
        self.chunk_open = False
        browser_secrets.scrub_zip(path, self.secret_values())
        return path

    def capture_evidence(self, ctx: Any, exc: BaseException) -> None:
        """Screenshot, page HTML (and its frames') and trace of a failed item (`browser_evidence`)."""
        browser_evidence.capture(self, ctx)

    # --- helpers used by actions ---------------------------------------------------------------------
    def _credentials(self, given: Any) -> dict[str, str]:
        """`http_credentials`, rendered. The password, and `user:password` (whose base64 the browser sends in
        the Authorization header), are kept out of logs, the ledger and traces as the secrets are."""
        from orchestrator.logs import register_secrets

        username, password = self._render(given.username) or "", self._render(given.password) or ""
        self.username = username
        self.hidden = [v for v in (password, f"{username}:{password}") if password]
        register_secrets(self.hidden)
        return {"username": username, "password": password}

    def secret_values(self) -> list[str]:
        return [v for v in self.session.secrets.values() if v] + self.hidden

    def is_secret(self, value: Any) -> bool:
        return isinstance(value, str) and any(s and s in value for s in self.secret_values())

    def url(self, target: str) -> str:
        if self.base_url and "://" not in target and not target.startswith(("about:", "data:", "file:")):
            return self.base_url.rstrip("/") + "/" + target.lstrip("/")
        return target

    def timeout_ms(self, ctx: Any, *, navigation: bool = False) -> float:
        """Playwright's timeout for this step: the step's own limit (a little less, so Playwright reports
        first), else the robot's browser timeout."""
        session = self.session
        step_limit = (ctx.step.timeout if ctx.step is not None else None) or session.robot.step_timeout \
            or session.project.spec.defaults.step_timeout
        if step_limit:
            return (step_limit - min(1.0, step_limit * 0.2)) * 1000
        return (self.options.navigation_timeout if navigation else self.options.timeout) * 1000

    def _render(self, value: str | None) -> str | None:
        if value is None:
            return None
        from orchestrator.expressions import evaluate

        return str(evaluate(value, self.session.expression_base()))

    def _state_file(self) -> Path | None:
        state = self.options.storage_state
        if state is False:
            return None
        if state is True:
            return self.session.project.state_dir / "browser" / f"{self.session.robot_name}.json"
        return self.session.resolve(str(state))


def _politely(work: Any) -> None:
    """Browser calls at a run's end, within the call limit; a crashed browser cannot answer them."""
    try:
        with interruptible(OPEN_LIMIT_S):
            work()
    except Exception:  # noqa: BLE001, S110 - nothing to save or clear in a browser that is gone
        pass


def _close_deferred() -> None:
    with _deferred_lock:
        pending = _deferred.pop(threading.get_ident(), [])
    for item in pending:
        item.close()
    tidy.run_pending()  # (so that this run can take a context one of them kept)


def open_browser(ctx: Any) -> BrowserSession:
    """The run's browser session in this thread, opened on first use, ready for the current item."""
    with interruptible(OPEN_LIMIT_S):
        session = ctx.session.resource("browser", lambda: BrowserSession(ctx.session))
        if session.crashed or session.context is None or not browser_launch.is_current(session.browser):
            ctx.session.drop_resource("browser")
            session = ctx.session.resource("browser", lambda: BrowserSession(ctx.session))
        return session.for_item(ctx)
