"""The robot file's schema (contract v1), as pydantic models that reject unknown keys.

The same models export the JSON Schema editors use for completion (`retake schema`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from orchestrator.alerts import Alerts
from orchestrator.durations import parse_duration

STEP_KEYS = ("id", "name", "if", "retry", "timeout", "continue_on_error", "effect")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _duration(value: Any) -> float | None:
    return None if value is None else parse_duration(value)


class Retry(Strict):
    attempts: int = Field(3, ge=1, le=100, description="Tries in all, the first included.")
    backoff: float = Field(2.0, description="Wait before the second try; doubles each time.")
    max_backoff: float = Field(60.0, description="The longest wait between tries.")
    jitter: bool = True

    _d = field_validator("backoff", "max_backoff", mode="before")(_duration)


class Economics(Strict):
    currency: str = "USD"
    hourly_cost: float = Field(0, ge=0, description="Loaded cost of one hour of manual work.")
    robot_hourly_cost: float = Field(0, ge=0, description="What one robot hour costs.")
    fte_hours_per_year: float = Field(1800, gt=0)

    @field_validator("currency")
    @classmethod
    def _iso_4217(cls, value: str) -> str:
        from orchestrator.currencies import check

        return check(value)


class Defaults(Strict):
    retry: Retry = Field(default_factory=Retry)
    timeout: float = 600.0
    step_timeout: float | None = None

    _d = field_validator("timeout", "step_timeout", mode="before")(_duration)


class InputSpec(Strict):
    default: Any = None
    required: bool = False
    type: Literal["string", "integer", "number", "boolean", "list", "mapping", "path", "date"] = "string"
    description: str | None = None


class Step(Strict):
    """One step: exactly one action key plus the common keys."""

    action: str
    args: Any = None
    id: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    name: str | None = None
    when: str | bool | None = Field(None, alias="if")
    retry: Retry | None = None
    timeout: float | None = None
    continue_on_error: bool = False
    effect: bool | None = None

    _d = field_validator("timeout", mode="before")(_duration)

    @model_validator(mode="before")
    @classmethod
    def _split_action(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError("a step is a mapping with one action, e.g. `- log: hello`")
        if "action" in data and "args" in data:
            return data
        actions = [k for k in data if k not in STEP_KEYS]
        if not actions:
            raise ValueError("this step has no action: add one, e.g. `log: ...` or `files.move: ...`")
        if len(actions) > 1:
            raise ValueError(f"one action per step, this one has {len(actions)}: {', '.join(actions)}")
        common = {k: v for k, v in data.items() if k in STEP_KEYS}
        return {**common, "action": actions[0], "args": data[actions[0]]}

    @property
    def label(self) -> str:
        return self.name or self.id or self.action


class Robot(Strict):
    description: str = ""
    manual_minutes: float = Field(0, ge=0, description="Manual minutes per item (per run without items).")
    exception_minutes: float = Field(0, ge=0, description="Manual minutes spent on an item the robot failed.")
    inputs: dict[str, InputSpec] = Field(default_factory=dict)
    secrets: list[str] = Field(default_factory=list)
    items: str | list[Any] | None = None
    item_key: str | None = Field(None, description="Expression naming an item in the ledger.")
    steps: list[Step] = Field(min_length=1)
    on_failure: list[Step] = Field(default_factory=list)
    retry: Retry | None = None
    timeout: float | None = None
    step_timeout: float | None = None
    concurrency: int | None = Field(None, ge=1)
    pool: str | None = Field(None, description="A pool of `pools:` this robot shares (one licence, one login).")
    queue: str = Field("default", pattern=r"^[A-Za-z_][A-Za-z0-9._-]*$",
                       description="The broker queue of its runs; `retake worker --queues` picks queues.")
    chunk_size: int = Field(25, ge=1, le=10_000)
    browser: dict[str, Any] = Field(default_factory=dict)
    alerts: Alerts | None = None
    sla: float | None = None
    tags: list[str] = Field(default_factory=list)

    _d = field_validator("timeout", "step_timeout", "sla", mode="before")(_duration)

    @field_validator("inputs", mode="before")
    @classmethod
    def _input_shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ({"default": v} if not isinstance(v, dict) else v) if v is not None else {}
                    for k, v in value.items()}
        return value


class Calendar(Strict):
    """Business days: a schedule's slots on other days are skipped (and `retake schedules` says why)."""

    holidays: str | None = Field(None, description="Country (KR, US, DE...) or market (XKRX, XNYS) code.")
    subdivision: str | None = Field(None, description="State or province, e.g. CA for holidays: US.")
    language: str | None = Field(None, description="Language of holiday names, e.g. ko or en_US.")
    skip_weekends: bool = False
    closed: list[str] = Field(default_factory=list, description="Extra closed dates, YYYY-MM-DD.")
    business_day: Literal["first", "last"] | None = Field(
        None, description="Only the month's first (or last) business day: the other days are skipped.")


class FileTrigger(Strict):
    """`on: {files: "data/inbox/*.pdf"}`: a run when new files matching the pattern are complete."""

    files: str | list[str] = Field(description="Glob pattern(s) relative to the project folder.")
    batch: bool = Field(False, description="One run for all new files (input `files`) instead of one per file.")
    poll: float = Field(5.0, gt=0, description="How often to look; a file is complete when unchanged "
                                               "between two looks.")

    _d = field_validator("poll", mode="before")(_duration)

    @property
    def patterns(self) -> list[str]:
        return [self.files] if isinstance(self.files, str) else list(self.files)


class Schedule(Strict):
    robot: str
    cron: str | None = Field(None, description="Five fields: minute hour day month weekday (MON-FRI works).")
    every: float | None = Field(None, gt=0, description="An interval such as 15m or 2h.")
    on: FileTrigger | None = None
    timezone: str | None = Field(None, description="IANA zone; default: the project's timezone.")
    calendar: Calendar | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    misfire: Literal["skip", "once", "all"] = "once"
    grace: float = Field(3600.0, ge=0, description="How late a missed slot may still run.")
    overlap: Literal["skip", "queue", "cancel_previous"] | None = Field(
        None, description="When the previous run is still open: skip (default for times), queue (default "
                          "for file triggers and with misfire: all) or cancel_previous.")
    enabled: bool = True
    description: str = ""

    _d = field_validator("every", "grace", mode="before")(_duration)

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, data: Any) -> Any:
        """YAML 1.1 reads a bare `on:` key as the boolean true."""
        if isinstance(data, dict) and True in data and "on" not in data:
            data = {("on" if k is True else k): v for k, v in data.items()}
        return data


class Settings(Strict):
    """Project-wide settings for connectors (browser path, headless, artifacts...)."""

    browser: dict[str, Any] = Field(default_factory=dict)
    artifacts_dir: str = ".retake"
    keep_traces: Literal["never", "on_failure", "always"] = "on_failure"


class Project(Strict):
    version: Literal[1] = 1
    project: str = "retake"
    timezone: str = "UTC"
    economics: Economics = Field(default_factory=Economics)
    defaults: Defaults = Field(default_factory=Defaults)
    settings: Settings = Field(default_factory=Settings)
    include: list[str] = Field(default_factory=list)
    pools: dict[str, Annotated[int, Field(ge=1)]] = Field(default_factory=dict, description="Named limits shared by robots: {erp: 1}.")
    robots: dict[str, Robot] = Field(default_factory=dict)
    schedules: dict[str, Schedule] = Field(default_factory=dict)


class Fragment(Strict):
    """An included file: robots and/or schedules."""

    robots: dict[str, Robot] = Field(default_factory=dict)
    schedules: dict[str, Schedule] = Field(default_factory=dict)
