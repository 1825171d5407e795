.PHONY: setup demo test bench lint

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/retake demo

test: setup
	.venv/bin/python -m pytest -q

bench: setup
	.venv/bin/python bench/run_all.py

lint: setup
	.venv/bin/ruff check orchestrator connectors backoffice tests bench
