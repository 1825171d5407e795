.PHONY: setup demo test bench lint constraints

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

constraints: setup  # newest versions allowed by pyproject.toml; run `make test` before committing the result
	.venv/bin/pip install -q -U -e '.[dev]'
	(head -2 constraints.txt; .venv/bin/pip freeze --exclude-editable) > constraints.new && mv constraints.new constraints.txt
