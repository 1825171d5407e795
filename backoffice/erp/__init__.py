"""The sample "legacy ERP" the demo robots automate: `start_erp()` serves it on a free local port.

    server = start_erp()            # or: url, stop = start_erp(port=0, expire_every=5)
    ... robots use server.url ...
    server.state.expire_sessions()  # force an expired session (tests)
    server.stop()

`python -m backoffice.erp --port 8069` serves it in the foreground (user clerk, password demo-password).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from backoffice.erp.app import DEFAULT_USERS, ErpConfig, ErpState, build_app

__all__ = ["DEFAULT_USERS", "ErpConfig", "ErpServer", "ErpState", "start_erp"]


class ErpServer:
    """A running ERP: unpacks as `(url, stop)`; `state` reaches its data and sessions."""

    def __init__(self, url: str, stop: Callable[[], None], state: ErpState):
        self.url, self.stop, self.state = url, stop, state

    def __iter__(self) -> Iterator[Any]:
        return iter((self.url, self.stop))

    def __enter__(self) -> ErpServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_erp(port: int = 0, *, host: str = "127.0.0.1", **options: Any) -> ErpServer:
    """Serve the ERP in a background thread; `options` are ErpConfig fields (users, session_ttl,
    expire_every, slow_every, slow_seconds, seed_invoices)."""
    import uvicorn

    state = ErpState(ErpConfig(**options))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    bound = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(build_app(state), log_level="warning", lifespan="off",
                                           access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"erp-{bound}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        raise RuntimeError(f"the sample ERP did not start on {host}:{bound}")

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()

    return ErpServer(f"http://{host}:{bound}", stop, state)
