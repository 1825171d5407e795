"""Checks beyond the schema: known actions and their arguments, expressions, inputs, secrets, step ids."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from orchestrator import actions, expressions
from orchestrator.argchecks import arg_problems
from orchestrator.errors import Problem

if TYPE_CHECKING:
    from orchestrator.loader import LoadedProject
    from orchestrator.spec import Robot, Step

# Names an expression may use at its root besides the robot's own `set:` variables.
CONTEXT_ROOTS = {"inputs", "item", "index", "key", "steps", "secrets", "run", "project", "vars", "error"}
FUNCTIONS = {"files", "read_table", "pdf_pages", "query", "now"}  # see RunSession.expression_base


def check_project(project: LoadedProject) -> list[Problem]:
    problems: list[Problem] = []
    try:
        ZoneInfo(project.spec.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        src = project.sources["robots.yaml"]
        problems.append(src.problem(("timezone",), f"unknown time zone {project.spec.timezone!r}: "
                                    "use an IANA name such as Europe/Paris or Asia/Seoul"))
    if project.spec.settings.browser:
        from connectors.browser_launch import LaunchSettings
        from connectors.browser_options import option_problems

        src = project.sources["robots.yaml"]
        for path, message, at_key in option_problems(LaunchSettings, project.spec.settings.browser):
            problems.append(src.problem(("settings", "browser", *path), message, key=at_key))
    for name, robot in project.spec.robots.items():
        problems.extend(_check_robot(project, name, robot))
    for name, schedule in project.spec.schedules.items():
        if schedule.robot not in project.spec.robots:
            hint = actions.suggest(schedule.robot, list(project.spec.robots))
            problems.append(project.problem("schedules", name, ("robot",),
                                            f"schedule {name!r} names unknown robot {schedule.robot!r}{hint}"))
    try:
        from orchestrator.scheduling.checks import check_schedules
    except ImportError:
        pass
    else:
        problems.extend(check_schedules(project))
    return problems


def _check_robot(project: LoadedProject, name: str, robot: Robot) -> list[Problem]:
    problems: list[Problem] = []

    def report(path: tuple[Any, ...], message: str, *, key: bool = False) -> None:
        problems.append(project.problem("robots", name, path, message, key=key))

    def check_value(path: tuple[Any, ...], value: Any, step_ids: set[str]) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                check_value(path + (k,), v, step_ids)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                check_value(path + (i,), v, step_ids)
        elif expressions.is_template(value):
            error = expressions.check_syntax(value)
            if error:
                report(path, error)
                return
            for root, attr in expressions.references(value):
                if root == "inputs" and attr not in robot.inputs:
                    hint = actions.suggest(attr, list(robot.inputs))
                    report(path, f"input {attr!r} is not declared{hint}: add it under `inputs:` of robot {name!r}")
                elif root == "secrets" and attr not in robot.secrets:
                    report(path, f"secret {attr!r} is not declared: add it to `secrets:` of robot {name!r}")
                elif root == "steps" and attr not in step_ids:
                    hint = actions.suggest(attr, sorted(step_ids))
                    report(path, f"no earlier step has id {attr!r}{hint}")

    registry = actions.registry()
    known = _known_names(robot)
    for section in ("steps", "on_failure"):
        seen: set[str] = set()
        for i, step in enumerate(getattr(robot, section)):
            base = (section, i)
            _check_step(step, base, registry, report)
            if step.action == "table.filter" and isinstance(step.args, dict):
                hint = _where_hint(step.args.get("where"), known)
                if hint:
                    report(base + (step.action, "where"), hint)
            if step.when is not None:
                check_value(base + ("if",), step.when if isinstance(step.when, str) else "", seen)
            check_value(base + (step.action,), step.args, seen)
            if step.id:
                if step.id in seen:
                    report(base + ("id",), f"step id {step.id!r} is used twice in {section}: ids must be unique")
                seen.add(step.id)
    check_value(("items",), robot.items, set())
    if robot.browser:
        from connectors.browser_options import BrowserOptions, option_problems

        check_value(("browser",), robot.browser, set())
        for path, message, at_key in option_problems(BrowserOptions, robot.browser):
            report(("browser", *path), message, key=at_key)
    if robot.item_key:
        check_value(("item_key",), robot.item_key, set())
    if robot.pool and robot.pool not in project.spec.pools:
        declared = ", ".join(project.spec.pools) or "none"
        report(("pool",), f"pool {robot.pool!r} is not declared: add `pools: {{{robot.pool}: 1}}` to robots.yaml "
               f"(declared: {declared})")
    for input_name, spec in robot.inputs.items():
        if spec.required and spec.default is not None:
            report(("inputs", input_name), f"input {input_name!r} is required and has a default: keep one")
    return problems


def _check_step(step: Step, base: tuple[Any, ...], registry: dict[str, actions.Action], report: Any) -> None:
    if step.action not in registry:
        hint = actions.suggest(step.action, list(registry))
        report(base + (step.action,), f"unknown action {step.action!r}{hint}; `retake actions` lists them all",
               key=True)
        return
    for problem in arg_problems(registry[step.action], step.args):
        report(base + (step.action, *problem.path), problem.message, key=problem.key)


def _known_names(robot: Robot) -> set[str]:
    """The names an expression of `robot` can read at its root: the context, functions, `set:` values."""
    names = CONTEXT_ROOTS | FUNCTIONS | set(expressions.environment().globals)
    for step in (*robot.steps, *robot.on_failure):
        if step.action == "set" and isinstance(step.args, dict):
            names |= {str(k) for k in step.args}
    return names


def _where_hint(where: Any, known: set[str]) -> str | None:
    """`table.filter`'s `where` is tested on each row with the row's columns as names; written as a
    `{{ }}` expression it would be rendered once, before the step, where the columns are not defined."""
    if not expressions.is_template(where) or expressions.check_syntax(where):
        return None
    unknown = sorted(expressions.free_names(where) - known)
    if not unknown:
        return None
    bare = where.strip().removeprefix("{{").removesuffix("}}").strip()
    return (f"table.filter: where {where!r} reads {', '.join(map(repr, unknown))}, not defined before the step: "
            f"write the condition without {{{{ }}}} (where: \"{bare}\"): it is tested on each row, with the "
            "row's columns as names")
