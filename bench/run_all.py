"""Run every benchmark in bench/ and print their figures (nothing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

here = Path(__file__).parent
for script in sorted(here.glob("*.py")):
    if script.name in ("run_all.py",) or script.name.startswith("_"):
        continue
    print(f"== {script.name}", flush=True)
    subprocess.run([sys.executable, str(script)], cwd=here.parent)
