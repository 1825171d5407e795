"""Unattended schedules: cron and interval slots in a time zone, business calendars, file triggers,
and a scheduler loop that fires each (schedule, slot) exactly once, claimed in the ledger's database.

Kept light on import: the ledger imports `orchestrator.scheduling.tables` to create its tables.
"""
