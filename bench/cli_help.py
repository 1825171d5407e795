"""How long `retake --help` takes (goal: under 0.3 s): heavy libraries must be imported lazily."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

RETAKE = Path(sys.executable).parent / "retake"


def main(rounds: int = 10) -> None:
    command = [str(RETAKE), "--help"] if RETAKE.exists() else [sys.executable, "-m", "orchestrator", "--help"]
    subprocess.run(command, capture_output=True, check=True)  # warm the file cache
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(f"retake --help: median {median * 1000:.0f} ms, best {min(times) * 1000:.0f} ms over {rounds} runs "
          f"(goal < 300 ms: {'met' if median < 0.3 else 'NOT met'})")
    heavy = subprocess.run([sys.executable, "-c", "import sys, orchestrator.cli as c; c._register(); "
                            "print(sorted(m for m in ('playwright','pdfplumber','pandas','sqlalchemy','dramatiq',"
                            "'fastapi','uvicorn') if m in sys.modules))"], capture_output=True, text=True)
    print(f"heavy modules imported by the CLI at start: {heavy.stdout.strip() or heavy.stderr.strip()}")


if __name__ == "__main__":
    main()
