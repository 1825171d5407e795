#!/usr/bin/env bash
# Set up Retake on a fresh machine: a browser and CJK fonts (Debian/Ubuntu), then .venv with the project.
set -euo pipefail
cd "$(dirname "$0")/.."

have_browser() {
  [ -n "${RETAKE_CHROMIUM:-}" ] && [ -x "${RETAKE_CHROMIUM}" ] && return 0
  for b in chromium chromium-browser google-chrome google-chrome-stable; do
    command -v "$b" >/dev/null 2>&1 && return 0
  done
  ls "${PLAYWRIGHT_BROWSERS_PATH:-$HOME/.cache/ms-playwright}"/chromium*/chrome-linux*/chrome >/dev/null 2>&1
}

if ! have_browser || ! fc-list 2>/dev/null | grep -qi -E "nanum|noto.*cjk"; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "setup: installing Chromium and Korean fonts from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-nanum >/dev/null
  elif ! have_browser; then
    echo "setup: no Chromium found. Install one (e.g. 'sudo apt-get install chromium fonts-nanum')," >&2
    echo "       or set RETAKE_CHROMIUM=/path/to/chrome. Browser robots will not run until then." >&2
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# Dependencies at the versions the suite last passed with (constraints.txt), so that a release of a
# library cannot change a fresh machine's behaviour unseen.
stamp=.venv/.installed-$(cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[dev]' -c constraints.txt
  rm -f .venv/.installed-* && touch "$stamp"
fi
