"""Choosing Dramatiq's broker from configuration, before any actor is declared.

RETAKE_BROKER_URL=redis://... or amqp://... selects Redis or RabbitMQ; unset keeps the embedded default,
Dramatiq's in-process StubBroker. Dramatiq falls back to RabbitMQ on localhost when an actor is declared
before a broker is set, so `orchestrator.queue` calls `setup_broker()` at import time.

Redis is tuned so that the messages of a worker killed with SIGKILL come back within seconds: Dramatiq
requeues a dead worker's unacked messages only when its heartbeat is older than `heartbeat_timeout` AND a
random "maintenance" pass runs (`maintenance_chance` per million broker calls). Its defaults (60 s, 0.1%)
took from one to more than fifteen minutes here; 8 s and 20% bring it to about 9-11 s. Live workers keep
their heartbeat fresh from a thread (orchestrator.worker), so a long item never makes them look dead.
RabbitMQ redelivers at once when the consumer's connection drops, and its queues are durable.

RETAKE_QUEUE_PREFIX prefixes every queue name, so that several installations (or test runs) can share
one broker without seeing each other's messages.
"""

from __future__ import annotations

import os

import dramatiq
from dramatiq.broker import Broker

REDIS_HEARTBEAT_TIMEOUT_MS = 8_000
REDIS_MAINTENANCE_CHANCE = 200_000  # per million calls: 20%
DEFAULT_QUEUE = "default"

_current: Broker | None = None
_current_url: str | None = None


def broker_url() -> str | None:
    return os.environ.get("RETAKE_BROKER_URL") or None


def describe_url() -> str:
    """RETAKE_BROKER_URL without its password, for messages; "the embedded broker" without one."""
    from urllib.parse import urlsplit

    url = broker_url()
    if not url:
        return "the embedded broker"
    parts = urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return parts.geturl()


def queue_prefix() -> str:
    return os.environ.get("RETAKE_QUEUE_PREFIX", "")


def queue_name(robot_queue: str | None) -> str:
    """The broker's name for a robot's `queue:` (prefixed when RETAKE_QUEUE_PREFIX is set)."""
    return queue_prefix() + (robot_queue or DEFAULT_QUEUE)


def build_broker(url: str | None) -> Broker:
    if not url:
        from dramatiq.brokers.stub import StubBroker

        broker: Broker = StubBroker()
    elif url.startswith(("redis://", "rediss://", "unix://")):
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(
            url=url,
            heartbeat_timeout=int(os.environ.get("RETAKE_REDIS_HEARTBEAT_TIMEOUT_MS", REDIS_HEARTBEAT_TIMEOUT_MS)),
            maintenance_chance=int(os.environ.get("RETAKE_REDIS_MAINTENANCE_CHANCE", REDIS_MAINTENANCE_CHANCE)))
    elif url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=url)
    else:
        raise ValueError(f"RETAKE_BROKER_URL {url!r}: use redis://HOST:6379/0 or amqp://USER:PASS@HOST:5672/")
    from dramatiq.middleware import Retries

    from orchestrator.deadletters import DeadLetters
    from orchestrator.tidy import Tidy

    # Dramatiq calls `after_*` hooks in reverse order: placed before Retries, DeadLetters sees each message
    # after Retries has decided whether it is failed (placed after, it saw none failed).
    broker.add_middleware(DeadLetters(), before=Retries)
    broker.add_middleware(Tidy())
    return broker


def setup_broker(url: str | None = None, *, force: bool = False) -> Broker:
    """The process's broker for `url` (default: RETAKE_BROKER_URL); actors declared earlier move to it."""
    global _current, _current_url
    if url is None and _current is not None and not force:
        return _current  # set already (explicitly or from the environment): keep it
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


def broker_kind(broker: Broker | None = None) -> str:
    name = type(broker or current_broker()).__name__
    return {"StubBroker": "embedded", "RedisBroker": "redis", "RabbitmqBroker": "rabbitmq"}.get(name, name)


def enqueue(actor: dramatiq.Actor, *args: object, queue: str | None = None, delay_ms: int | None = None) -> None:
    """Send `actor(*args)` on a robot's queue (Dramatiq actors have one fixed queue; messages can go elsewhere)."""
    broker = current_broker()
    message = actor.message_with_options(args=args)
    name = queue_name(queue)
    if message.queue_name != name:
        message = message.copy(queue_name=name)
    broker.declare_queue(name)
    broker.enqueue(message, delay=delay_ms or None)


def queue_depths(names: list[str]) -> dict[str, int | None]:
    """Messages waiting in each queue (ready + delayed), None where the broker cannot tell."""
    broker = current_broker()
    kind = broker_kind(broker)
    depths: dict[str, int | None] = {}
    for name in names:
        full = queue_name(name)
        try:
            if kind == "redis":  # ready + delayed + taken but not yet acknowledged
                depths[name] = int(broker.do_qsize(full))
            elif kind == "rabbitmq":
                ready, delayed, _dead = broker.get_queue_message_counts(full)
                depths[name] = ready + delayed
            else:
                depths[name] = broker.queues[full].qsize() if full in broker.queues else 0
        except Exception:  # noqa: BLE001 - a queue nobody declared yet, a broker that is down
            depths[name] = None
    return depths
