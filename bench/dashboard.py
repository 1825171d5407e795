"""Benchmark: the dashboard's pages over a ledger of 1,000,000 items (goal: overview under 300 ms).

    PYTHONPATH=. .venv/bin/python bench/dashboard.py [--items 1000000] [--database sqlite|postgresql]

A real `uvicorn` server in this process, requests over HTTP with a signed-in session, like a browser's.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from report import generate, load_postgresql, load_sqlite, project_dir  # noqa: E402


def serve(root: Path) -> tuple[object, str]:
    import uvicorn

    from orchestrator.web.app import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(root), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    import httpx

    from orchestrator import projects
    from orchestrator.ledger.db import dispose_all
    from orchestrator.loader import load_project
    from orchestrator.web.tokens import create_token

    name = "retake_bench_dashboard"
    with tempfile.TemporaryDirectory() as folder:
        root = project_dir(Path(folder))
        if args.database == "postgresql":
            import psycopg

            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
            os.environ["RETAKE_DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        try:
            engine = projects.ledger_for(load_project(root)).engine
            runs, items = generate(args.items)
            started = time.perf_counter()
            (load_postgresql if args.database == "postgresql" else load_sqlite)(engine, runs, items)
            print(f"{args.database}: {len(items):,} items loaded in {time.perf_counter() - started:.1f} s")
            _, token = create_token(engine, role="viewer", name="bench")
            server, url = serve(root)
            pages = ["/", "/?days=7", "/?days=365", "/robots/robot3", f"/runs/{runs[-1][0]}", "/api/report",
                     "/metrics"]
            with httpx.Client(base_url=url, cookies={"retake_token": token}, timeout=60) as client:
                for page in pages:
                    times = []
                    for _ in range(args.requests):
                        started = time.perf_counter()
                        response = client.get(page)
                        times.append(time.perf_counter() - started)
                        assert response.status_code == 200, (page, response.status_code, response.text[:300])
                    print(f"{page:34s} median {statistics.median(times) * 1000:7.1f} ms  "
                          f"p90 {sorted(times)[int(len(times) * 0.9) - 1] * 1000:7.1f} ms  "
                          f"first {times[0] * 1000:7.1f} ms  ({len(response.content):,} bytes)")
            server.should_exit = True
        finally:
            dispose_all()
            if args.database == "postgresql":
                import psycopg

                with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
