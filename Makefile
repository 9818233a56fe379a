# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install run test check lint typecheck unit e2e proto proto-check bench soak quality format clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# The local stack: demo LLM upstream, the DLP server, a real Envoy. Ctrl-C stops all.
run: install
	$(PY) tools/run_local.py

# What CI runs (.ci/run): static checks, then every test, end-to-end included.
test: install lint typecheck proto-check
	$(PY) -m pytest -q

check: test

lint: install
	$(VENV)/bin/ruff check extproc harness tests tools bench
	$(VENV)/bin/ruff format --check extproc harness tests tools bench

format: install
	$(VENV)/bin/ruff check --fix extproc harness tests tools bench
	$(VENV)/bin/ruff format extproc harness tests tools bench

typecheck: install
	$(VENV)/bin/mypy

unit: install
	$(PY) -m pytest -q -m "not e2e"

e2e: install
	$(PY) -m pytest -q -m e2e

proto: install
	$(PY) tools/protogen.py generate

proto-check: install
	$(PY) tools/protogen.py check

# Not a test: Envoy alone / no-op processor / default policy through a real
# Envoy with wrk (Go no-op as the yardstick), event loop, audit mode, workers,
# phases, memory; writes bench/results.md (~15 min).
bench: install
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) bench/engine.py
	$(PY) bench/ttft.py
	$(PY) -m bench.run $(BENCH_ARGS)

# Detection quality on generated corpora (precision/recall per detector); fails under 0.97 micro-F1.
quality: install
	$(PY) -m bench.quality

# Mixed traffic for MINUTES minutes: errors, leaks, RSS over time (not in CI).
MINUTES ?= 5
soak: install
	$(PY) tools/soak.py --minutes $(MINUTES)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
