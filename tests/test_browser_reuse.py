"""A run starts in its robot's previous context, cleared: nothing of one run reaches the next."""

from __future__ import annotations

import time

import pytest
from robot_support import ERP_SIGN_IN

from connectors import browser_reuse
from orchestrator.loader import load_project
from orchestrator.submit import run_embedded

pytestmark = pytest.mark.browser

PROBE = """
robots:
  probe:
    manual_minutes: 1
    secrets: [ERP_USER, ERP_PASSWORD]
    items: [1]
    browser: {{base_url: "{url}"{options}}}
    steps:""" + ERP_SIGN_IN + """
      - browser.evaluate: "() => {{ window.open('/invoices', '_blank'); }}"
      - browser.evaluate: |
          async () => {{
            const found = {{
              local: localStorage.getItem('probe'), session: sessionStorage.getItem('probe'),
              cookie: document.cookie.includes('probe=1'),
              databases: (await indexedDB.databases()).map(d => d.name),
            }};
            localStorage.setItem('probe', 'left'); sessionStorage.setItem('probe', 'left');
            document.cookie = 'probe=1; path=/';
            // a page that saves a draft as it is left: that is cleared too
            addEventListener('pagehide', () => {{ localStorage.setItem('probe', 'saved on leaving'); }});
            await new Promise(done => {{
              const open = indexedDB.open('probe-db', 1);
              open.onupgradeneeded = () => open.result.createObjectStore('x');
              open.onsuccess = () => {{ open.result.close(); done(); }};
            }});
            return found;
          }}
"""

CLEAN = {"local": None, "session": None, "cookie": False, "databases": []}


def _output(loaded, run: dict) -> dict:
    from orchestrator import projects

    assert run["status"] == "succeeded", run
    return projects.ledger_for(loaded).run_items(run["id"])[0]["output"]


def _kept_probe(runs: int = 0) -> list[browser_reuse.Kept]:
    """The probe robot's kept contexts of live worker threads; with `runs`, once one has served that many
    (a context is cleared and kept just after its run is reported finished)."""
    deadline = time.monotonic() + 10
    while True:
        found = [k for ks in list(browser_reuse._kept.values()) for k in ks
                 if k.key.startswith("probe ") and k.thread.is_alive()]
        if not runs or any(k.runs == runs for k in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_the_next_run_reuses_the_context_with_nothing_left_of_the_last(embedded, make_project, erp, secrets_env):
    loaded = load_project(make_project(PROBE.format(url=erp.url, options="")))
    erp.state.expire_sessions()
    logins = erp.state.logins
    first = run_embedded(loaded, "probe", {})
    assert _output(loaded, first) == CLEAN
    [kept] = _kept_probe(runs=1)
    context = kept.context
    assert len(context.pages) == 1 and kept.page.url == "about:blank"  # the popup closed, the tab left
    second = run_embedded(loaded, "probe", {})
    assert _output(loaded, second) == CLEAN  # no cookie, storage or database of the first run
    assert erp.state.logins - logins == 2  # the session cookie went too: the second run signed in again
    [kept] = _kept_probe(runs=2)
    assert kept.context is context and kept.runs == 2


def test_reuse_context_false_opens_a_new_context_every_run(embedded, make_project, erp, secrets_env):
    loaded = load_project(make_project(PROBE.format(url=erp.url, options=", reuse_context: false")))
    first = run_embedded(loaded, "probe", {})
    second = run_embedded(loaded, "probe", {})
    assert _output(loaded, first) == _output(loaded, second) == CLEAN
    time.sleep(1)  # (a context would be kept just after the run is reported finished)
    assert not _kept_probe()


def test_two_robots_taking_turns_in_a_worker_each_keep_their_context(embedded, make_project, erp, secrets_env):
    body = PROBE.format(url=erp.url, options="")
    other = body.replace("  probe:", "  other:")
    loaded = load_project(make_project(body + other.split("robots:", 1)[1]))
    first = run_embedded(loaded, "probe", {})
    [kept] = _kept_probe(runs=1)
    assert run_embedded(loaded, "other", {})["status"] == "succeeded"
    second = run_embedded(loaded, "probe", {})
    assert _output(loaded, first) == _output(loaded, second) == CLEAN
    [again] = _kept_probe(runs=2)
    assert again.context is kept.context  # the other robot's run did not close it
