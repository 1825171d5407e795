"""The `alerts:` mapping a robot declares (validated with the robot file; nothing heavy is imported here)."""

from __future__ import annotations

import os
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Alerts(BaseModel):
    """The `alerts:` mapping of a robot."""

    model_config = ConfigDict(extra="forbid")

    on_failure: bool = Field(True, description="Alert when a run ends failed.")
    on_partial: bool = Field(True, description="Also when a run ends partial (some items failed).")
    success_rate_below: float | None = Field(None, gt=0, le=1, description="0.9 or '90%'.")
    window: int = Field(20, ge=1, le=10_000, description="Finished runs the success rate is taken over.")
    repeat: float = Field(21600, ge=0, description="Seconds (or 6h...) before a low rate is reported again.")
    sla: bool = Field(True, description="Alert when a run lasts longer than the robot's `sla`.")
    webhook: str | None = Field(None, description="URL (http/https) that receives a JSON POST.")
    email: list[str] = Field(default_factory=list, description="Recipients of alert e-mails.")
    digest: bool = Field(True, description="Include this robot's channels in the daily digest.")

    @field_validator("success_rate_below", mode="before")
    @classmethod
    def _percent(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().endswith("%"):
            return float(value.strip()[:-1]) / 100
        return value

    @field_validator("repeat", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        from orchestrator.durations import parse_duration

        return parse_duration(value)

    @field_validator("email", mode="before")
    @classmethod
    def _one_address(cls, value: Any) -> Any:
        addresses = [value] if isinstance(value, str) else value
        for address in addresses or []:
            if not isinstance(address, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
                raise ValueError(f"{address!r} is not an e-mail address")
        return addresses

    @field_validator("webhook")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not _ENV.fullmatch(value) and not value.startswith(("http://", "https://")):
            raise ValueError("webhook must be an http:// or https:// URL, or ${ENV_VAR} naming one")
        return value

    def channels(self) -> list[tuple[str, str]]:
        out = [("webhook", self.webhook)] if self.webhook else []
        return out + [("email", address) for address in self.email]


def expand(value: str) -> str:
    """${NAME} -> the environment's NAME (webhook URLs often hold a secret)."""
    def sub(match: re.Match[str]) -> str:
        if match.group(1) not in os.environ:
            raise RuntimeError(f"environment variable {match.group(1)} is not set")
        return os.environ[match.group(1)]

    return _ENV.sub(sub, value)
