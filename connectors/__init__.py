"""Connectors: one module per outside system, each declaring the step actions it provides.

To add a connector, write a module with `@action(...)` functions and list it here.
"""

MODULES: dict[str, str] = {
    "core": "connectors.core",
    "files": "connectors.files",
    "browser": "connectors.browser",
    "pdf": "connectors.pdf",
    "tables": "connectors.tables",
    "http": "connectors.http",
    "sql": "connectors.sql",
    "email": "connectors.email",
}
