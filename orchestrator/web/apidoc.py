"""An offline reference of the HTTP API at /docs, drawn from the OpenAPI description (no CDN is reachable
from most back offices, so the usual Swagger page, which loads its script from one, is not used)."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from orchestrator.savings.html import CSS


def render(spec: dict[str, Any]) -> str:
    parts = []
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            params = "".join(
                f"<li><code>{escape(p['name'])}</code> ({escape(p['in'])}{', required' if p.get('required') else ''})"
                f"{_type(p.get('schema', {}))}</li>" for p in operation.get("parameters", []))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                params += f"<li>JSON body: <code>{escape(_ref(body, spec))}</code></li>"
            codes = ", ".join(f"{escape(code)} {escape(answer.get('description', ''))}"
                              for code, answer in operation.get("responses", {}).items())
            parts.append(f'<section id="{escape(operation.get("operationId", path))}"><h3><code>{method.upper()} '
                         f'{escape(path)}</code></h3><p>{escape(operation.get("summary", ""))}</p>'
                         f'<ul>{params}</ul><p class="muted">responses: {codes}</p></section>')
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Retake API</title><style>{CSS}'
            f'</style></head><body><nav><a href="/"><b>Retake</b></a><a href="/openapi.json">openapi.json</a></nav>'
            f'<main><h1>{escape(spec["info"]["title"])} API</h1><p>{escape(spec["info"].get("description", ""))}</p>'
            f'{"".join(parts)}</main></body></html>')


def _type(schema: dict[str, Any]) -> str:
    options = schema.get("anyOf") or [schema]
    names = [o.get("type") or ("one of " + ", ".join(map(str, o["enum"])) if "enum" in o else "") for o in options]
    names = [n for n in names if n and n != "null"]
    return f": {escape(' or '.join(names))}" if names else ""


def _ref(schema: dict[str, Any], spec: dict[str, Any]) -> str:
    for option in schema.get("anyOf", [schema]):
        ref = option.get("$ref")
        if ref:
            model = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
            return json.dumps({k: v.get("type", "any") for k, v in model.get("properties", {}).items()})
    return json.dumps(schema)
