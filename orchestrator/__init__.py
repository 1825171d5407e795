"""Retake's core: the robot spec, the runner, the queue, the ledger and the savings."""

__version__ = "0.1.0"
