"""Finding and launching a browser: the setting, RETAKE_CHROMIUM, Playwright's own, the system's."""

from __future__ import annotations

import pytest

from connectors import browser_launch
from connectors.browser_launch import BrowserMissing, LaunchSettings, find_executable, launch_options


@pytest.fixture
def bare_machine(monkeypatch, tmp_path):
    """No browser anywhere: empty PATH, no Playwright browsers, no well-known paths."""
    monkeypatch.delenv("RETAKE_CHROMIUM", raising=False)
    monkeypatch.delenv("RETAKE_HEADED", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "ms-playwright"))
    monkeypatch.setattr(browser_launch, "SYSTEM_PATHS", ())
    return tmp_path


def _fake_browser(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


def test_no_browser_gives_an_error_that_says_how_to_install_one(bare_machine):
    assert find_executable() is None
    with pytest.raises(BrowserMissing, match="apt-get install chromium.*RETAKE_CHROMIUM"):
        launch_options(LaunchSettings())


def test_the_order_is_setting_then_env_then_playwright_then_system(bare_machine, monkeypatch):
    system = _fake_browser(bare_machine / "bin" / "chromium")
    assert find_executable() == system
    own = _fake_browser(bare_machine / "ms-playwright" / "chromium-1200" / "chrome-linux" / "chrome")
    assert find_executable() == own
    env = _fake_browser(bare_machine / "env" / "chrome")
    monkeypatch.setenv("RETAKE_CHROMIUM", env)
    assert find_executable() == env
    configured = _fake_browser(bare_machine / "cfg" / "chrome")
    assert find_executable(configured) == configured


def test_a_configured_browser_that_does_not_exist_is_named(bare_machine, monkeypatch):
    monkeypatch.setenv("RETAKE_CHROMIUM", "/nowhere/chrome")
    with pytest.raises(BrowserMissing, match=r"RETAKE_CHROMIUM names '/nowhere/chrome', which is not a file"):
        find_executable()


def test_headless_by_default_headed_on_request_with_our_args(bare_machine, monkeypatch):
    _fake_browser(bare_machine / "bin" / "chromium")
    options = launch_options(LaunchSettings(args=["--lang=ko"]))
    assert options["headless"] is True
    assert options["args"] == ["--disable-gpu", "--disable-quic", "--lang=ko"]
    monkeypatch.setenv("RETAKE_HEADED", "1")
    monkeypatch.setenv("DISPLAY", ":0")
    assert launch_options(LaunchSettings())["headless"] is False
    monkeypatch.delenv("DISPLAY")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(BrowserMissing, match="needs a display"):
        launch_options(LaunchSettings())


def test_unknown_browser_settings_are_refused():
    from orchestrator.errors import ConfigError

    with pytest.raises(ConfigError, match="settings.browser.executabel"):
        LaunchSettings.from_project({"executabel": "/usr/bin/chromium"})


def test_validate_reports_wrong_browser_options_with_their_position(make_project):
    from orchestrator.errors import ConfigError
    from orchestrator.loader import load_project

    root = make_project("""
    settings:
      browser: {headles: false}
    robots:
      r:
        browser:
          timeout: soon
          trce: never
        steps:
          - browser.goto: https://example.com
    """)
    with pytest.raises(ConfigError) as problems:
        load_project(root)
    text = str(problems.value)
    assert "unknown browser option 'headles' (did you mean 'headless'?)" in text
    assert "timeout: 'soon' is not a duration" in text
    assert "unknown browser option 'trce' (did you mean 'trace'?)" in text
    assert all(p.line > 1 for p in problems.value.problems)


def test_a_misspelt_locator_is_a_business_error_with_a_suggestion():
    from orchestrator.actions import get
    from orchestrator.errors import BusinessError

    with pytest.raises(BusinessError, match=r"unknown key 'nme' \(did you mean 'name'\?\)"):
        get("browser.click").bind({"role": "button", "nme": "Save"})
    with pytest.raises(BusinessError, match=r"give exactly one of role, label"):
        get("browser.fill_form").bind({"fields": {"A": 1}, "submit": {"label": "x", "css": "y"}})
    assert get("browser.click").bind({"role": "button", "name": "Save"}).locator == {"role": "button",
                                                                                       "name": "Save"}
