"""The JSON Schema of the YAML as people write it (`retake schema`), for editors' YAML plugins.

pydantic's own schema describes the models after their `before` validators: a step as `{action, args}`
and durations as seconds. Robot files say `- log: hi` and `timeout: 10m`, so those two are rewritten here;
everything else (keys, types, choices, descriptions) is pydantic's.
"""

from __future__ import annotations

from typing import Any

DURATION = {"anyOf": [{"type": "number", "minimum": 0},
                      {"type": "string", "pattern": r"^\s*(\d+(\.\d+)?\s*(ms|s|m|h|d)\s*)+$|^\s*\{\{.*\}\}\s*$"}],
            "description": "A duration: 500ms, 30s, 5m, 1h30m, 1d, or a number of seconds."}


def editor_schema() -> dict[str, Any]:
    from orchestrator import spec
    from orchestrator.actions import registry

    from orchestrator.alerts.rules import Alerts

    schema = spec.Project.model_json_schema(by_alias=True)
    defs = schema["$defs"]
    for model in [*_models(spec), Alerts]:
        for name, kind in _written_otherwise(model):
            field = model.model_fields[name]
            target = defs.get(model.__name__, {}).get("properties", {}).get(field.alias or name)
            if target is not None:
                _relax(target, kind, name)
    defs["Step"] = _step(defs["Step"], registry())
    schema["patternProperties"] = {"^x-": {"description": "Free for YAML anchors (`x-login: &login`)."}}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def _models(spec: Any) -> list[type]:
    from pydantic import BaseModel

    return [value for value in vars(spec).values()
            if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == spec.__name__]


def _written_otherwise(model: type) -> list[tuple[str, str]]:
    """(field, "duration" | "mapping" | "text") for each field a `before` validator reads in another form:
    a duration, a mapping of shorthands (`inputs: {who: world}`), or a text (`'90%'`, one e-mail address)."""
    out = []
    for decorator in model.__pydantic_decorators__.field_validators.values():
        if decorator.info.mode != "before":
            continue
        name = decorator.func.__name__
        kind = "duration" if name == "_duration" else "mapping" if name.endswith("shorthand") else "text"
        out += [(field, kind) for field in decorator.info.fields]
    return out


def _relax(target: dict[str, Any], kind: str, name: str) -> None:
    if kind == "duration":
        target.clear()
        target.update({**DURATION, "title": name.replace("_", " ").capitalize()})
    elif kind == "mapping" and "additionalProperties" in target:
        target["additionalProperties"] = {"anyOf": [target["additionalProperties"],
                                                    {"type": ["string", "number", "boolean", "null"]}]}
    else:
        original = {k: v for k, v in target.items() if k not in ("title", "description", "default")}
        for key in list(original):
            del target[key]
        target["anyOf"] = [original, {"type": "string"}]


def _step(pydantic_step: dict[str, Any], actions: dict[str, Any]) -> dict[str, Any]:
    """A step as written: its common keys, and exactly one action key (its argument is checked by
    `retake validate`, which knows each action's own model)."""
    common = {k: v for k, v in pydantic_step["properties"].items() if k not in ("action", "args")}
    common["timeout"] = DURATION
    names = sorted(actions)
    properties = {**common, **{name: {"description": (actions[name].doc or name).splitlines()[0]}
                               for name in names}}
    return {"type": "object", "title": "Step", "description": pydantic_step.get("description", ""),
            "properties": properties, "additionalProperties": False,
            "oneOf": [{"required": [name]} for name in names]}
