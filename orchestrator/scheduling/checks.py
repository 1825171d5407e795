"""Schedule checks beyond the schema, each with FILE:LINE:COL: cron, zone, calendar, inputs, triggers.

(`orchestrator.checks` already reports a schedule naming an unknown robot.)
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from orchestrator.errors import Problem

if TYPE_CHECKING:
    from orchestrator.loader import LoadedProject
    from orchestrator.spec import Schedule

TIME_NAMES = {"slot", "date", "schedule"}
FILE_NAMES = TIME_NAMES | {"file", "files"}


def check_schedules(project: LoadedProject) -> list[Problem]:
    problems: list[Problem] = []
    for name, schedule in project.spec.schedules.items():
        problems += _check(project, name, schedule)
    return problems


def _check(project: LoadedProject, name: str, schedule: Schedule) -> list[Problem]:
    from orchestrator.actions import suggest
    from orchestrator.scheduling.calendar import holiday_problem
    from orchestrator.scheduling.timing import cron_problem

    problems: list[Problem] = []

    def report(path: tuple[Any, ...], message: str, *, key: bool = False) -> None:
        problems.append(project.problem("schedules", name, _yaml_path(project, name, path), message, key=key))

    given = [k for k in ("cron", "every", "on") if getattr(schedule, k) is not None]
    if not given:
        report((), f"schedule {name!r} says neither when nor on what to run: add `cron: \"0 9 * * MON-FRI\"`, "
               "`every: 15m` or `on: {files: \"data/inbox/*.pdf\"}`", key=True)
    elif len(given) > 1:
        report((given[1],), f"schedule {name!r} has both {given[0]!r} and {given[1]!r}: keep one "
               "(make two schedules for two triggers)", key=True)
    if schedule.cron is not None:
        error = cron_problem(schedule.cron)
        if error:
            report(("cron",), error)
    if schedule.every is not None and schedule.every < 1:
        report(("every",), "every: the shortest interval is 1s")
    if schedule.timezone is not None:
        try:
            ZoneInfo(schedule.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            report(("timezone",), f"unknown time zone {schedule.timezone!r}: use an IANA name such as "
                   "Asia/Seoul, Europe/Berlin or America/New_York")
    cal = schedule.calendar
    if cal is not None:
        if cal.holidays:
            found = holiday_problem(cal.holidays, cal.subdivision, cal.language)
            if found:
                report(("calendar", found[0]), found[1])
        elif cal.subdivision or cal.language:
            report(("calendar", "subdivision" if cal.subdivision else "language"),
                   "subdivision and language need `holidays:` (a country such as KR) beside them")
        for i, day in enumerate(cal.closed):
            try:
                dt.date.fromisoformat(str(day))
            except ValueError:
                report(("calendar", "closed", i), f"closed date {day!r} is not a date: write it as YYYY-MM-DD")
    if schedule.on is not None:
        for i, pattern in enumerate(schedule.on.patterns):
            if not str(pattern).strip():
                report(("on", "files") + ((i,) if isinstance(schedule.on.files, list) else ()),
                       "an empty file pattern: write one such as data/inbox/*.pdf")
    robot = project.spec.robots.get(schedule.robot)
    if robot is None:
        return problems  # reported by orchestrator.checks
    names = FILE_NAMES if schedule.on is not None else TIME_NAMES
    for key, value in schedule.inputs.items():
        if key not in robot.inputs:
            hint = suggest(str(key), list(robot.inputs))
            report(("inputs", key), f"robot {schedule.robot!r} has no input {key!r}{hint}; its inputs: "
                   f"{', '.join(robot.inputs) or 'none'}", key=True)
        for path, text in _strings(value, ("inputs", key)):
            error = _template_problem(text, names)
            if error:
                report(path, error)
    auto = set()
    if schedule.on is not None:
        auto = {"files"} if schedule.on.batch else {"file"}
    for input_name, spec in robot.inputs.items():
        if spec.required and input_name not in schedule.inputs and input_name not in auto:
            report(("inputs",) if schedule.inputs else (), f"robot {schedule.robot!r} needs input "
                   f"{input_name!r}: give it under `inputs:` of schedule {name!r}", key=not schedule.inputs)
    return problems


def _strings(value: Any, path: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], str]]:
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in _strings(v, path + (k,))]
    if isinstance(value, list):
        return [x for i, v in enumerate(value) for x in _strings(v, path + (i,))]
    return []


def _template_problem(text: str, names: set[str]) -> str | None:
    from jinja2 import meta

    from orchestrator import expressions

    if not expressions.is_template(text):
        return None
    error = expressions.check_syntax(text)
    if error:
        return error
    env = expressions.environment()
    unknown = meta.find_undeclared_variables(env.parse(text)) - names - set(env.globals)
    if unknown:
        return (f"{', '.join(sorted(unknown))} is not known in a schedule's inputs; use "
                f"{', '.join('{{ ' + n + ' }}' for n in sorted(names))}")
    return None


def _yaml_path(project: LoadedProject, name: str, path: tuple[Any, ...]) -> tuple[Any, ...]:
    """YAML 1.1 turns a bare `on:` key into true: point at where the file really has it."""
    if path and path[0] == "on":
        src, prefix = project.origin[("schedules", name)]
        if prefix + ("on",) not in src.positions and prefix + (True,) in src.positions:
            return (True,) + path[1:]
    return path
