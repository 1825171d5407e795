"""PDF extraction benchmark: pages per second of a robot against plain pdfplumber on the same pages.

    PYTHONPATH=. python bench/pdf_extract.py [--pages 200] [--repeat 3]

The robot runs the real path (robots.yaml -> Dramatiq's in-process broker -> worker -> runner ->
ledger in SQLite), one item per document, through `run_embedded`. The plain script opens each file
with pdfplumber and calls it in a loop, nothing else. The same pages come in two shapes:

  inbox       200 one-page invoices: 200 items (each pays the runner's and ledger's cost per item)
  documents   the same pages in 20 documents of 10 pages: 20 items

and two workloads (extract on the inbox only: pdf.extract reads a document's fields once, not per page):

  text        `pdf.text` (faux bold removed)     vs  page.extract_text()
  extract     `pdf.extract`: 7 fields by anchor,  vs  page.extract_words(), .extract_text() and
              regex and type, and the line items      .extract_tables(): the pdfplumber calls it needs

Figures are printed, not asserted. The goal is a ratio (robot / plain pages per second) >= 0.9.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TEMPLATE = json.loads((ROOT / "tests/fixtures/pdf/invoice-template.json").read_text(encoding="utf-8"))


def plain_text(files: list[Path]) -> int:
    import pdfplumber

    pages = 0
    for path in files:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_text()
                page.close()
                pages += 1
    return pages


def plain_extract(files: list[Path]) -> int:
    import pdfplumber

    pages = 0
    for path in files:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_words()
                page.extract_text()
                page.extract_tables()
                page.close()
                pages += 1
    return pages


def bind(files: list[Path], folder: Path, per_document: int) -> list[Path]:
    """The same pages as documents of `per_document` pages each (pypdfium2 copies pages as they are)."""
    import pypdfium2 as pdfium

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for start in range(0, len(files), per_document):
        document = pdfium.PdfDocument.new()
        for path in files[start:start + per_document]:
            source = pdfium.PdfDocument(str(path))
            document.import_pages(source)
            source.close()
        target = folder / f"document-{start // per_document + 1:03d}.pdf"
        document.save(str(target))
        document.close()
        out.append(target)
    return out


def project(root: Path) -> Path:
    step = {"file": "{{ item }}", **TEMPLATE}
    (root / "robots.yaml").write_text(f"""\
version: 1
project: bench
robots:
  read_text:
    inputs: {{folder: {{default: inbox}}}}
    items: "{{{{ files(inputs.folder, '*.pdf') }}}}"
    steps:
      - pdf.text: "{{{{ item }}}}"
  read_invoices:
    inputs: {{folder: {{default: inbox}}}}
    items: "{{{{ files(inputs.folder, '*.pdf') }}}}"
    steps:
      - pdf.extract: {json.dumps(step, ensure_ascii=False)}
""", encoding="utf-8")
    return root


def robot(loaded, name: str, folder: str) -> tuple[float, dict]:
    from orchestrator.submit import run_embedded

    started = time.perf_counter()
    run = run_embedded(loaded, name, {"folder": folder})
    return time.perf_counter() - started, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=200, help="invoices of one page each (default 200)")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds per side; the best counts")
    options = parser.parse_args()

    os.environ.pop("RETAKE_BROKER_URL", None)
    os.environ.pop("RETAKE_DATABASE_URL", None)
    os.environ.setdefault("RETAKE_LOG_LEVEL", "WARNING")  # no console line per item; the run's log file stays

    from backoffice.invoices import generate
    from orchestrator.broker import setup_broker
    from orchestrator.loader import load_project
    from orchestrator.submit import stop_embedded_worker

    setup_broker(None, force=True)
    with tempfile.TemporaryDirectory(prefix="retake-bench-") as tmp:
        root = project(Path(tmp))
        files = generate(root / "inbox", count=options.pages, specials=False)
        documents = bind(files, root / "documents", 10)
        loaded = load_project(root)
        plain_text(files[:5])  # warm: imports, font caches
        robot(loaded, "read_text", "documents")
        print(f"{options.pages} pages (English and Korean invoices), best of {options.repeat} rounds, load "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"{'shape':<28}{'workload':<10}{'plain p/s':>10}{'robot p/s':>10}{'ratio':>8}")
        for shape, folder, batch in ((f"inbox: {len(files)} x 1 page", "inbox", files),
                                     (f"documents: {len(documents)} x 10 pages", "documents", documents)):
            workloads = [("text", plain_text, "read_text"), ("extract", plain_extract, "read_invoices")]
            for workload, plain, name in workloads[: 2 if folder == "inbox" else 1]:
                plain_times, robot_times = [], []
                for _ in range(options.repeat):  # alternate, so that a busy moment hits both sides
                    started = time.perf_counter()
                    pages = plain(batch)
                    plain_times.append(time.perf_counter() - started)
                    seconds, run = robot(loaded, name, folder)
                    robot_times.append(seconds)
                    assert run["status"] == "succeeded" and run["items_succeeded"] == len(batch), run
                plain_rate, robot_rate = pages / min(plain_times), pages / min(robot_times)
                print(f"{shape:<28}{workload:<10}{plain_rate:>10.1f}{robot_rate:>10.1f}"
                      f"{robot_rate / plain_rate:>7.2f}x")
        stop_embedded_worker()


if __name__ == "__main__":
    main()
