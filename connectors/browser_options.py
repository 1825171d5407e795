"""A robot's `browser:` options (a pydantic model: unknown keys are refused) and their checks."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from orchestrator.durations import parse_duration
from orchestrator.errors import ConfigError, Problem


class Viewport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    width: int = Field(1280, ge=100)
    height: int = Field(800, ge=100)


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str
    password: str


class BrowserOptions(BaseModel):
    """A robot's `browser:` mapping."""

    model_config = ConfigDict(extra="forbid")
    base_url: str | None = Field(None, description="Relative URLs in browser.goto start here (expressions allowed).")
    timeout: float = Field(10.0, gt=0, description="Wait for an element at most this long (a step timeout wins).")
    navigation_timeout: float = Field(30.0, gt=0, description="Wait for a page load at most this long.")
    viewport: Viewport = Field(default_factory=Viewport)
    locale: str | None = None
    timezone: str | None = Field(None, description="Browser time zone; default: the project's.")
    user_agent: str | None = None
    ignore_https_errors: bool = False
    http_credentials: Credentials | None = Field(None, description="HTTP authentication (Basic, NTLM...) "
                                                 "for intranet sites: {username, password}, from secrets.")
    storage_state: bool | str = Field(False, description="Keep cookies and local storage between runs: true "
                                      "(in .retake/browser/ROBOT.json) or a file in the project.")
    reuse_context: bool = Field(True, description="Start a run in the context this robot's previous run used "
                                "in this worker, cleared (cookies, storage, tabs, history): no new renderer. "
                                "false: a new context every run.")
    trace: Literal["never", "on_failure", "always"] | None = Field(
        None, description="Playwright traces; default: settings.keep_traces (on_failure).")
    trace_screenshots: bool = Field(False, description="Film strip in traces (costly: the page is filmed "
                                    "all along; the failure screenshot and DOM snapshots are there anyway).")
    dialogs: Literal["accept", "dismiss"] = "accept"
    block: list[Literal["image", "font", "media", "stylesheet"]] = Field(
        default_factory=list, description="Resource types not loaded (faster pages).")

    _d = field_validator("timeout", "navigation_timeout", mode="before")(
        lambda v: parse_duration(v) if v is not None else v)


def robot_options(session: Any) -> BrowserOptions:
    try:
        return BrowserOptions.model_validate(session.robot.browser or {})
    except ValidationError as exc:
        detail = "; ".join(f"browser.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        problem = Problem("robots.yaml", 1, 1, f"robot {session.robot_name!r}: {detail}")
        where = session.project.origin.get(("robots", session.robot_name))
        if where is not None:
            src, prefix = where
            problem = src.problem(prefix + ("browser",), f"{detail}")
        raise ConfigError([problem]) from None


def option_problems(model: type[BaseModel], raw: dict[str, Any]) -> list[tuple[tuple[Any, ...], str, bool]]:
    """Problems of a `browser:` mapping for `retake validate`: (path, message, at the key?).
    Values that are expressions are checked when the run renders them."""
    from orchestrator.actions import suggest
    from orchestrator.expressions import is_template

    literal = {k: v for k, v in raw.items() if not is_template(v)}
    try:
        model.model_validate(literal)
    except ValidationError as exc:
        out = []
        for error in exc.errors():
            path = tuple(error["loc"])
            if error["type"] == "extra_forbidden":
                known = list(_model_at(model, path[:-1]).model_fields)
                what = "browser option" if len(path) == 1 else f"key of browser.{'.'.join(map(str, path[:-1]))}"
                out.append((path, (f"unknown {what} {str(path[-1])!r}{suggest(str(path[-1]), known)}; "
                                   f"allowed: {', '.join(known)}"), True))
            else:
                out.append((path, f"{'.'.join(map(str, path))}: {error['msg'].removeprefix('Value error, ')}",
                            False))
        return out
    return []


def _model_at(model: type[BaseModel], path: tuple[Any, ...]) -> type[BaseModel]:
    """The model of the mapping at `path` inside `model` (`("http_credentials",)` -> Credentials)."""
    for key in path:
        annotation = model.model_fields[key].annotation if key in model.model_fields else None
        inner = [a for a in (annotation, *get_args(annotation)) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not inner:
            break
        model = inner[0]
    return model
