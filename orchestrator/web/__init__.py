"""The managers' web side: dashboard, HTTP API, tokens and metrics (`retake serve`).

Importing this package is cheap; FastAPI is imported by `orchestrator.web.app` only.
"""
