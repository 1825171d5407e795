"""Form-filling benchmark in the style of the RPA Challenge (rpachallenge.com "Input Forms").

A 7-field form whose field order, ids and names change every round is filled 10 times from an Excel
sheet and submitted. The same job runs, in one process and on a warm browser:

- as a YAML robot (items from the sheet, `browser.fill_form` per round) on the embedded default,
- as the fastest plain Playwright script we could write (one `evaluate` per round that finds the
  fields by their labels, sets the values with input/change events and submits),
- and, for reference: the plain script in a fresh browser context per job (a robot run gets one, for
  isolation), and all 10 rounds in a single in-page script (no per-round round trip at all).

Printed: the page's own time from Start to the 10th submission, the wall time of each job until it is
done: the site has received the challenge's result, which the page sends after the 10th submission (and,
for the robot, its run is recorded: run, items, results; a robot's submit waits for the answers of the
requests it makes the page send, so its run ends after that result has arrived), the ratios (the
median of each round's ratio), and how many of the 70 fields were correct. Each job starts after a
short pause; the time a robot run's worker then spends clearing the browser context for the next run
(after reporting the result) is printed too, and the wall time of the same robot with `set` steps in
place of the browser.

The goal's comparison (the robot, traces off, against the plain script) runs first, the two jobs in
turn; the other jobs run after it, in turn with the plain script again. Kept apart because a page whose
browser context was idle while others were used loads its first page 15-20 ms slower (measured with
plain Playwright alone: two contexts taking turns), and the other jobs would put more contexts
between two robot runs than between two plain ones.

    python bench/form_fill.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FIELDS = ["First Name", "Last Name", "Company Name", "Role in Company", "Address", "Email", "Phone Number"]
PAGE = Path(__file__).with_name("form_fill_page.html")

ROBOT = """
  __NAME__:
    description: Fill the RPA Challenge's input form once per row of the sheet (traces __TRACE__)
    manual_minutes: 1
    inputs:
      url: {default: "__URL__"}
    items: "{{ read_table('challenge.xlsx') }}"
    item_key: "{{ item['Email'] }}"
    browser: {trace: __TRACE__}
    steps:
      - if: "{{ index == 0 }}"
        browser.goto: "{{ inputs.url }}"
      - if: "{{ index == 0 }}"
        browser.click: "#start"
      - browser.fill_form:
          fields:
            First Name: "{{ item['First Name'] }}"
            Last Name: "{{ item['Last Name'] }}"
            Company Name: "{{ item['Company Name'] }}"
            Role in Company: "{{ item['Role in Company'] }}"
            Address: "{{ item['Address'] }}"
            Email: "{{ item['Email'] }}"
            Phone Number: "{{ item['Phone Number'] }}"
          submit: "input[type=submit]"
"""
TRACES = {"rpa_challenge": "never", "rpa_challenge_traced": "on_failure"}
NO_BROWSER = """
  no_browser:
    description: The same items and steps with `set` in place of the browser (the runner's and ledger's share)
    manual_minutes: 1
    items: "{{ read_table('challenge.xlsx') }}"
    item_key: "{{ item['Email'] }}"
    steps:
      - if: "{{ index == 0 }}"
        set: {opened: true}
      - set:
          First Name: "{{ item['First Name'] }}"
          Email: "{{ item['Email'] }}"
          Phone Number: "{{ item['Phone Number'] }}"
"""


def robots_yaml(url: str) -> str:
    """One robot per trace setting, so that every round runs each of them in turn."""
    robots = "".join(ROBOT.replace("__NAME__", name).replace("__TRACE__", trace).replace("__URL__", url)
                     for name, trace in TRACES.items())
    return ("version: 1\nproject: form-fill-bench\ndefaults:\n  retry: {attempts: 1, backoff: 0s}\nrobots:" + robots
            + NO_BROWSER)


PLAIN_ROUND = r"""
(row) => {
  const fields = {};
  for (const label of document.querySelectorAll('#challenge label')) fields[label.textContent.trim()] =
    label.nextElementSibling;
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  for (const [name, value] of Object.entries(row)) {
    const input = fields[name];
    setter.call(input, value);
    input.dispatchEvent(new Event('input', {bubbles: true}));
    input.dispatchEvent(new Event('change', {bubbles: true}));
  }
  document.querySelector('#challenge input[type=submit]').click();
}
"""

ALL_IN_PAGE = r"""
(rows) => {
  document.getElementById('start').click();
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  for (const row of rows) {
    const fields = {};
    for (const label of document.querySelectorAll('#challenge label')) fields[label.textContent.trim()] =
      label.nextElementSibling;
    for (const [name, value] of Object.entries(row)) {
      setter.call(fields[name], value);
      fields[name].dispatchEvent(new Event('input', {bubbles: true}));
    }
    document.querySelector('#challenge input[type=submit]').click();
  }
}
"""


def make_rows(count: int = 10, seed: int = 3) -> list[dict[str, str]]:
    rng = random.Random(seed)
    first = ["John", "Jane", "Albert", "Sun-hee", "Minho", "Olivia", "Pierre", "Ana", "Kenji", "Fatima"]
    last = ["Smith", "Dorsey", "Kipling", "Kim", "Park", "Brown", "Dubois", "Silva", "Sato", "Haddad"]
    companies = ["IT Solutions", "MediCare", "Timepath Inc.", "Aperture", "Hanbit Trading", "Globex"]
    roles = ["Analyst", "Medical Engineer", "Accountant", "Manager", "Clerk", "Developer"]
    rows = []
    for i in range(count):
        rows.append({"First Name": first[i % 10], "Last Name": last[(i * 3) % 10],
                     "Company Name": rng.choice(companies), "Role in Company": rng.choice(roles),
                     "Address": f"{rng.randint(1, 999)} {rng.choice(['Main St', 'Teheran-ro', 'Rue de Rivoli'])}",
                     "Email": f"{first[i % 10].lower()}{i}@example.com",
                     "Phone Number": str(rng.randint(10**9, 10**10 - 1))})
    return rows


def write_sheet(path: Path, rows: list[dict[str, str]]) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["First Name", "Last Name ", *FIELDS[2:]])  # the real sheet has "Last Name " with a space
    for row in rows:
        sheet.append([int(row[f]) if f == "Phone Number" else row[f] for f in FIELDS])
    book.save(path)


class Site:
    """The challenge page on a free local port; /result receives each finished challenge."""

    def __init__(self, rows: list[dict[str, str]]):
        html = PAGE.read_text(encoding="utf-8").replace("__DATA__", json.dumps(rows)).encode("utf-8")
        results: list[dict] = []
        self.results = results
        arrived = self.arrived = threading.Condition()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(html)))
                self.end_headers()
                self.wfile.write(html)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with arrived:
                    results.append(json.loads(body))
                    arrived.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def last_result(self, count_before: int, timeout: float = 5.0) -> dict:
        """The result the page sent after `count_before` others, as soon as it has arrived."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.results) > count_before, timeout)
        return self.results[-1] if len(self.results) > count_before else {"correct": 0, "total": 70, "ms": -1}


def plain_run(page, site: Site, sheet: Path, *, all_in_page: bool = False) -> tuple[float, dict]:
    """The plain script: read the sheet, open the page, Start, fill and submit each round."""
    import openpyxl

    before = len(site.results)
    started = time.perf_counter()
    book = openpyxl.load_workbook(sheet, read_only=True)
    values = list(book.active.iter_rows(values_only=True))
    header = [str(h).strip() for h in values[0]]
    rows = [{h: str(v) for h, v in zip(header, row)} for row in values[1:] if any(row)]
    page.goto(site.url)
    if all_in_page:
        page.evaluate(ALL_IN_PAGE, rows)
    else:
        page.click("#start")
        for row in rows:
            page.evaluate(PLAIN_ROUND, row)
    result = site.last_result(before)  # the job is done when the site has the challenge's result
    return time.perf_counter() - started, result


def robot_run(loaded, site: Site, name: str) -> tuple[float, dict, dict]:
    from orchestrator.submit import run_embedded

    before = len(site.results)
    started = time.perf_counter()
    run = run_embedded(loaded, name, {})
    elapsed = time.perf_counter() - started
    return elapsed, site.last_result(before), run


PAUSE_S = 0.3


def settle() -> None:
    """A pause before each job, so that none pays for the tidying of the job before it (a robot run's
    browser context is cleared for the next run after its result is reported)."""
    time.sleep(PAUSE_S)


def time_tidying() -> list[float]:
    """Milliseconds the worker spends after each run tidying for the next (not in the run's wall time)."""
    from orchestrator import tidy

    spent: list[float] = []
    original = tidy.run_pending

    def timed() -> None:
        started = time.perf_counter()
        original()
        if (elapsed := (time.perf_counter() - started) * 1000) > 1:
            spent.append(elapsed)

    tidy.run_pending = timed
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="measured runs of each (after a warm-up)")
    options = parser.parse_args()

    os.environ.pop("RETAKE_BROKER_URL", None)
    os.environ.pop("RETAKE_DATABASE_URL", None)
    from orchestrator import logs

    logs.configure("WARNING")
    rows = make_rows()
    site = Site(rows)
    folder = Path(tempfile.mkdtemp(prefix="retake-form-bench-"))
    write_sheet(folder / "challenge.xlsx", rows)

    from playwright.sync_api import sync_playwright

    from connectors.browser_launch import LaunchSettings, launch_options
    from orchestrator.loader import load_project

    figures: dict[str, list[float]] = {}
    page_ms: dict[str, list[float]] = {}
    correct: dict[str, list[str]] = {}
    sheet = folder / "challenge.xlsx"

    def record(name: str, wall: float, result: dict | None = None) -> None:
        figures.setdefault(name, []).append(wall * 1000)
        if result is not None:
            page_ms.setdefault(name, []).append(result["ms"])
            correct.setdefault(name, []).append(f"{result['correct']}/{result['total']}")

    def robot(name: str) -> tuple[float, dict | None]:
        wall, result, run = robot_run(loaded, site, name)
        assert run["status"] == "succeeded", run
        return wall, (result if name != "no_browser" else None)

    (folder / "robots.yaml").write_text(robots_yaml(site.url), encoding="utf-8")
    loaded = load_project(folder)
    tidying = time_tidying()
    with sync_playwright() as pw:
        launch = {k: v for k, v in launch_options(LaunchSettings()).items() if v is not None}
        browser = pw.chromium.launch(**launch)
        page = browser.new_context().new_page()

        def fresh_context() -> tuple[float, dict]:
            started = time.perf_counter()  # as isolated as a robot run: a fresh context for the job
            context = browser.new_context()
            _, result = plain_run(context.new_page(), site, sheet)
            wall = time.perf_counter() - started
            context.close()  # (after the result, as a robot run's context is cleared after its report)
            return wall, result

        main_jobs = {"robot (trace never)": lambda: robot("rpa_challenge"),
                     PLAIN: lambda: plain_run(page, site, sheet)}
        other_jobs = {"robot (trace on_failure)": lambda: robot("rpa_challenge_traced"),
                      "robot without a browser": lambda: robot("no_browser"),
                      f"{PLAIN} ": lambda: plain_run(page, site, sheet),
                      "plain, fresh context per job": fresh_context,
                      "plain, all rounds in one page script": lambda: plain_run(page, site, sheet, all_in_page=True)}
        for jobs in (main_jobs, other_jobs):
            for job in jobs.values():  # warm-up: the worker thread launches its browser, pages load once
                job()
            for _ in range(options.repeat):  # each job in turn, so that a busy moment hits them all
                for name, job in jobs.items():
                    settle()
                    record(name, *job())
        browser.close()
    report(options.repeat, figures, page_ms, correct, tidying)


PLAIN = "plain Playwright, 1 evaluate per round"


def report(repeat: int, figures: dict[str, list[float]], page_ms: dict[str, list[float]],
           correct: dict[str, list[str]], tidying: list[float]) -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(f"RPA-Challenge-style form fill: 10 rounds x 7 fields, median of {repeat} runs (warm browser; "
          f"{os.cpu_count()} CPUs, load average {load})")
    print(f"{'job':<42} {'wall ms':>9} {'page ms':>9}  correct")
    for job, walls in figures.items():
        if job in page_ms:
            print(f"{job:<42} {statistics.median(walls):>9.1f} {statistics.median(page_ms[job]):>9.1f}  "
                  f"{', '.join(sorted(set(correct[job])))}")
        else:  # no page: the robot's own share (queue, items, ledger, steps)
            print(f"{job:<42} {statistics.median(walls):>9.1f} {'-':>9}  -")
    if tidying:
        print(f"after each robot run, clearing its browser context for the next: {statistics.median(tidying):.0f} ms "
              "(median; done once the result is reported, so not in the wall time)")

    def ratio(mine: str, theirs: str, pages: bool = False) -> float:
        """The median of the rounds' ratios: the jobs of a round ran one after the other, on the same
        machine state (steadier than a ratio of medians when the machine's speed drifts)."""
        source = page_ms if pages else figures
        return statistics.median(a / b for a, b in zip(source[mine], source[theirs]))

    for robot, plain in (("robot (trace never)", PLAIN), ("robot (trace on_failure)", f"{PLAIN} ")):
        wall = statistics.median(figures[robot])
        print(f"{robot}: {ratio(robot, plain):.2f}x the plain script's wall time ({ratio(robot, plain, True):.2f}x "
              f"its page time); under 500 ms: {'yes' if wall < 500 else 'no'} ({wall:.0f} ms)")
    print(f"robot (trace never), against the plain script in a fresh context: "
          f"{statistics.median(figures['robot (trace never)']) / statistics.median(figures['plain, fresh context per job']):.2f}x"
          " (ratio of medians)")


if __name__ == "__main__":
    main()
