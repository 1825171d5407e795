"""Load a project: robots.yaml and its includes -> validated models, or every problem with FILE:LINE:COL."""

from __future__ import annotations

import glob
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from orchestrator.actions import suggest
from orchestrator.errors import ConfigError, Problem
from orchestrator.salvage import salvage
from orchestrator.spec import Fragment, Project, Robot, Schedule, Step
from orchestrator.wording import is_yaml_bool, read_as_bool
from orchestrator.yamlsource import Source, load_source

MANIFEST = "robots.yaml"


@dataclass
class LoadedProject:
    root: Path
    spec: Project
    sources: dict[str, Source] = field(default_factory=dict)
    origin: dict[tuple[str, str], tuple[Source, tuple[Any, ...]]] = field(default_factory=dict)

    @property
    def state_dir(self) -> Path:
        return self.root / ".retake"

    @property
    def runs_dir(self) -> Path:
        return self.state_dir / "runs"

    def problem(self, kind: str, name: str, path: tuple[Any, ...], message: str, *, key: bool = False) -> Problem:
        src, prefix = self.origin[(kind, name)]
        return src.problem(prefix + path, message, key=key)


def find_root(start: str | Path | None = None) -> Path:
    """The folder holding robots.yaml: `start` itself, or the nearest one above the current folder."""
    if start is not None:
        root = Path(start).resolve()
        if root.is_file():
            root = root.parent
        if not (root / MANIFEST).exists():
            raise ConfigError([Problem(str(root / MANIFEST), 1, 1,
                                       "no robots.yaml here: give the project folder with --project DIR")])
        return root
    env = os.environ.get("RETAKE_PROJECT")
    if env:
        return find_root(env)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / MANIFEST).exists():
            return folder
    raise ConfigError([Problem(MANIFEST, 1, 1, f"no robots.yaml in {here} or any folder above it: "
                               "run from a project folder or pass --project DIR")])


def load_project(start: str | Path | None = None, *, check: bool = True) -> LoadedProject:
    """The validated project; ConfigError listing every problem found (not only the first)."""
    root = find_root(start)
    manifest = load_source(root / MANIFEST, MANIFEST)
    problems = list(manifest.problems)
    if manifest.problems:
        raise ConfigError(problems)
    data = manifest.data if isinstance(manifest.data, dict) else {}
    if not isinstance(manifest.data, dict):
        raise ConfigError([manifest.problem((), "robots.yaml must be a mapping (version, project, robots, ...)")])
    head = {k: v for k, v in data.items() if k not in ("robots", "schedules") and not _extension(k)}
    project = _validate(Project, head, manifest, problems, ()) or Project()
    loaded = LoadedProject(root=root, spec=project, sources={MANIFEST: manifest})
    _add_parts(loaded, manifest, data, problems)
    for pattern in data.get("include") or []:
        matches = sorted(glob.glob(str(root / str(pattern))))
        if not matches and not glob.has_magic(str(pattern)):
            problems.append(manifest.problem(("include",), f"include {pattern!r} matches no file"))
        for path in matches:
            rel = os.path.relpath(path, root)
            if rel == MANIFEST:
                continue
            src = load_source(Path(path), rel)
            loaded.sources[rel] = src
            problems.extend(src.problems)
            if src.problems:
                continue
            if not isinstance(src.data, dict):
                problems.append(src.problem((), "an included file must be a mapping with robots: and/or schedules:"))
                continue
            extra = {k: v for k, v in src.data.items() if k not in ("robots", "schedules") and not _extension(k)}
            _validate(Fragment, extra, src, problems, ())
            _add_parts(loaded, src, src.data, problems)
    if check:
        from orchestrator.checks import check_project

        problems.extend(check_project(loaded))
    if problems:
        raise ConfigError(sorted(set(problems), key=lambda p: (p.file, p.line, p.col)))
    return loaded


def _extension(key: Any) -> bool:
    """A top-level `x-...` key holds YAML anchors to reuse (`x-login: &login [...]`): not read itself."""
    return isinstance(key, str) and key.startswith("x-")


def _add_parts(loaded: LoadedProject, src: Source, data: dict[str, Any], problems: list[Problem]) -> None:
    """Validate each robot and schedule on its own, so one bad robot does not hide the others' problems."""
    for kind, model in (("robots", Robot), ("schedules", Schedule)):
        section = data.get(kind)
        if section is None:
            continue
        if not isinstance(section, dict):
            problems.append(src.problem((kind,), f"`{kind}:` must be a mapping of names to definitions"))
            continue
        for name, body in section.items():
            if not isinstance(name, str):  # `yes:`, `off:`, `2024:`
                why = read_as_bool(name) if isinstance(name, bool) else f"write {name!r} in quotes"
                problems.append(src.problem((kind, name), f"a {kind[:-1]} name is text: {why}", key=True))
                continue
            if (kind, name) in loaded.origin:
                first, _ = loaded.origin[(kind, name)]
                problems.append(src.problem((kind, name), f"{kind[:-1]} {name!r} is already defined in "
                                            f"{first.file}: rename one of them", key=True))
                continue
            loaded.origin[(kind, name)] = (src, (kind, name))
            body = body if body is not None else {}
            value = _validate(model, body, src, problems, (kind, name), salvaged=True)
            if value is not None:
                getattr(loaded.spec, kind)[name] = value


def _validate(model: type[BaseModel], data: Any, src: Source, problems: list[Problem],
              prefix: tuple[Any, ...], *, salvaged: bool = False) -> Any:
    """The model, or None with its problems added; `salvaged`: with problems, what is left of it once the
    parts at fault are set aside, so that the checks of its other parts (steps, cron) still run."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        for err in errors:
            problems.append(_problem(model, data, src, err, prefix))
        return salvage(model, data, errors) if salvaged else None


def _problem(model: type[BaseModel], data: Any, src: Source, err: dict[str, Any],
             prefix: tuple[Any, ...]) -> Problem:
    path, node = [], data
    for part in err["loc"]:
        if isinstance(node, dict) and part in ("action", "args") and "action" not in node:
            actions = [k for k in node if k not in ("id", "name", "if", "retry", "timeout", "continue_on_error")]
            part = actions[0] if actions else part
        if part == "when" and isinstance(node, dict) and "if" in node:
            part = "if"
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        elif err["type"] != "extra_forbidden" or part != err["loc"][-1]:
            continue
        path.append(part)
    message = err["msg"].removeprefix("Value error, ")
    if is_yaml_bool(err):
        at_key = err["loc"][-1] == "[key]"
        where = ".".join(p for p in (path[:-1] if at_key else path) if isinstance(p, str))
        return src.problem(prefix + tuple(path), f"{where}: " * bool(where) + read_as_bool(err["input"]),
                           key=at_key)
    if err["type"] == "extra_forbidden":
        known = _fields_at(model, err["loc"][:-1])
        bad = str(err["loc"][-1])
        message = f"unknown key {bad!r}{suggest(bad, known)}"
        if known:
            message += f"; allowed here: {', '.join(sorted(known))}"
        return src.problem(prefix + tuple(path), message, key=True)
    if err["type"] == "missing":
        message = f"missing required key {str(err['loc'][-1])!r}"
        path = path[:-1] if path and path[-1] == err["loc"][-1] else path
        return src.problem(prefix + tuple(path), message, key=True)
    elif path and isinstance(path[-1], str):
        message = f"{path[-1]}: {message}"
    return src.problem(prefix + tuple(path), message)


def _fields_at(model: Any, loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed at `loc` inside `model`, following fields, dict values and list items."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = current.model_fields
            match = next((n for n, f in fields.items() if part in (n, f.alias)), None)
            if match is None:
                return []
            current = fields[match].annotation
        elif typing.get_origin(current) in (dict, list):
            current = typing.get_args(current)[-1]
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        if current is Step:
            return ["id", "name", "if", "retry", "timeout", "continue_on_error", "effect"]
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        models = [a for a in options if isinstance(a, type) and issubclass(a, BaseModel)]
        return models[0] if models else options[0]
    return annotation
