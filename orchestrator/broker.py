"""Choosing Dramatiq's broker from configuration, before any actor is declared.

RETAKE_BROKER_URL=redis://... or amqp://... selects Redis or RabbitMQ; unset keeps the embedded default,
Dramatiq's in-process StubBroker. Dramatiq falls back to RabbitMQ on localhost when an actor is declared
before a broker is set, so `orchestrator.queue` calls `setup_broker()` at import time.
"""

from __future__ import annotations

import os

import dramatiq
from dramatiq.broker import Broker

_current: Broker | None = None
_current_url: str | None = None


def broker_url() -> str | None:
    return os.environ.get("RETAKE_BROKER_URL") or None


def build_broker(url: str | None) -> Broker:
    if not url:
        from dramatiq.brokers.stub import StubBroker

        return StubBroker()
    if url.startswith(("redis://", "rediss://", "unix://")):
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=url)
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=url)
    raise ValueError(f"RETAKE_BROKER_URL {url!r}: use redis://HOST:6379/0 or amqp://USER:PASS@HOST:5672/")


def setup_broker(url: str | None = None, *, force: bool = False) -> Broker:
    """The process's broker for `url` (default: RETAKE_BROKER_URL); actors declared earlier move to it."""
    global _current, _current_url
    url = url if url is not None else broker_url()
    if _current is not None and not force and url == _current_url:
        return _current
    old = _current
    broker = build_broker(url)
    dramatiq.set_broker(broker)
    if old is not None:
        for name in old.get_declared_actors():
            actor = old.get_actor(name)
            actor.broker = broker
            broker.declare_actor(actor)
    _current, _current_url = broker, url
    return broker


def current_broker() -> Broker:
    return _current if _current is not None else setup_broker()


def is_embedded() -> bool:
    from dramatiq.brokers.stub import StubBroker

    return isinstance(current_broker(), StubBroker)
