"""`python -m backoffice.erp [--port 8069]`: serve the sample ERP until Ctrl+C."""

from __future__ import annotations

import argparse
import time

from backoffice.erp import start_erp

parser = argparse.ArgumentParser(description="The sample legacy ERP (user clerk, password demo-password).")
parser.add_argument("--port", type=int, default=8069)
parser.add_argument("--expire-every", type=int, default=0, help="log everyone out after every N saves")
parser.add_argument("--slow-every", type=int, default=5, help="every N-th save answers slowly")
options = parser.parse_args()
server = start_erp(options.port, expire_every=options.expire_every, slow_every=options.slow_every)
print(f"ERP at {server.url} (Ctrl+C to stop)")
try:
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    server.stop()
