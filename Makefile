# The two set-up commands: `make demo` (main job on the bundled example) and
# `make test` (ruff, mypy, import contracts, pytest). Both build everything
# they need on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench sysdeps clean web tak-venv

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# WeasyPrint needs Pango; page tests need Chromium. Installed only when missing.
sysdeps:
	@bash scripts/sysdeps.sh

demo: sysdeps $(STAMP)
	$(BIN)/ceasefire demo --out demo-out

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

# FreeTAKServer (the live room's TAK test peer) in its own venv: its pins clash with ours
tak-venv:
	@bash scripts/tak-venv.sh

test: sysdeps $(STAMP) lint tak-venv
	$(BIN)/pytest -n 2 -q

bench: sysdeps $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .tak-venv demo-out .pytest_cache .mypy_cache .ruff_cache

# The dashboard's third-party assets (Leaflet, marker clustering, Natural Earth
# outlines) from npm into src/ceasefire/web/static/vendor. The output is committed,
# so `pip install` alone serves a working page; re-run after changing web/package.json.
web:
	cd web && npm ci --no-audit --no-fund && node build.mjs
