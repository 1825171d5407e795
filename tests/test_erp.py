"""The sample ERP behaves like the legacy application the demo robots face (plain HTTP, no browser)."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from backoffice.erp import start_erp


@pytest.fixture
def server():
    with start_erp(slow_every=2, slow_seconds=0.8) as running:
        yield running


def _login(client: httpx.Client, password: str = "demo-password") -> httpx.Response:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"csrf_token": token, "username": "clerk", "password": password,
                                       "next": "/invoices/new"})


def _form(client: httpx.Client) -> tuple[str, dict[str, str]]:
    page = client.get("/invoices/new")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    names = dict(re.findall(r'<label for="(f[0-9a-f]+)">([^<]+)</label>', page.text))
    ids = {label: re.search(rf'id="{fid}" name="([^"]+)"', page.text).group(1) for fid, label in names.items()}
    return csrf, ids


def _save(client: httpx.Client, csrf: str, names: dict[str, str], number: str) -> httpx.Response:
    data = {"csrf_token": csrf, names["Vendor"]: "ACME", names["Invoice number"]: number,
            names["Invoice date"]: "2026-01-31", names["Currency"]: "USD", names["Amount"]: "12.5",
            names["Category"]: "GOO0"}
    return client.post("/invoices", data=data)


def test_pages_need_a_login_and_a_wrong_password_is_refused(server):
    with httpx.Client(base_url=server.url, follow_redirects=True) as client:
        assert "/login?next=/invoices" in str(client.get("/invoices").url)
        assert _login(client, "wrong").status_code == 401
        assert _login(client).url.path == "/invoices/new"


def test_ids_and_names_change_with_every_session(server):
    seen = []
    for _ in range(2):
        with httpx.Client(base_url=server.url, follow_redirects=True) as client:
            _login(client)
            seen.append(_form(client)[1])
    assert set(seen[0]) == set(seen[1]) >= {"Vendor", "Invoice number", "Amount", "Currency"}
    assert all(seen[0][label] != seen[1][label] for label in seen[0])


def test_a_save_needs_the_csrf_token_and_gives_a_confirmation_number(server):
    with httpx.Client(base_url=server.url, follow_redirects=True) as client:
        _login(client)
        csrf, names = _form(client)
        assert _save(client, "forged", names, "CSRF-1").status_code == 403
        saved = _save(client, csrf, names, "CSRF-1")
        assert "Confirmation number" in saved.text and server.state.invoices[-1]["invoice_no"] == "CSRF-1"
        again = _save(client, csrf, names, "CSRF-1")
        assert again.status_code == 422 and "already entered" in again.text


def test_every_second_save_is_slow(server):
    with httpx.Client(base_url=server.url, follow_redirects=True) as client:
        _login(client)
        csrf, names = _form(client)
        durations = []
        for i in range(2):
            started = time.monotonic()
            _save(client, csrf, names, f"SLOW-{i}")
            durations.append(time.monotonic() - started)
    assert durations[1] >= 0.8 and durations[1] - durations[0] > 0.4


def test_sessions_expire_on_demand_after_idling_and_after_n_saves():
    with start_erp(session_ttl=0.3, expire_every=2) as server, \
            httpx.Client(base_url=server.url, follow_redirects=True) as client:
        _login(client)
        assert client.get("/").url.path == "/"
        server.state.expire_sessions()
        expired = client.get("/")
        assert expired.url.path == "/login" and "session has expired" in expired.text
        _login(client)
        time.sleep(0.4)
        assert client.get("/").url.path == "/login"
        _login(client)
        csrf, names = _form(client)
        _save(client, csrf, names, "N-1")
        _save(client, csrf, names, "N-2")
        assert client.get("/").url.path == "/login"


def test_the_list_searches_and_exports_csv(server):
    with httpx.Client(base_url=server.url, follow_redirects=True) as client:
        _login(client)
        listed = client.get("/invoices", params={"q": "northwind"})
        assert listed.text.count("Northwind Supplies Ltd") == 2
        export = client.get("/invoices/export.csv", params={"q": "northwind"})
        assert export.headers["content-disposition"].startswith("attachment")
        assert len(export.content.decode("utf-8-sig").strip().splitlines()) == 3
