# Qaldyq: two commands matter most — `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo serve test test-fast bench lock clean browser fuzz crash load

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Set up, migrate, load the demo data and serve on http://$(HOST):$(PORT)
demo: $(STAMP)
	$(BIN)/qaldyq demo --host $(HOST) --port $(PORT)

serve: $(STAMP)
	$(BIN)/qaldyq serve --host $(HOST) --port $(PORT)

## Chromium from Debian's packages for the browser journeys (Playwright uses it; no browser download)
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	  else echo "browser journeys need Debian's chromium: sudo apt-get install chromium" >&2; fi; }

## The whole suite, on SQLite and on PostgreSQL (127.0.0.1:5432)
test: $(STAMP) browser
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -x -k "sqlite"

## Longer API fuzzing, on both databases
fuzz: $(STAMP)
	QALDYQ_FUZZ_EXAMPLES=200 QALDYQ_FUZZ_ALL_BACKENDS=1 $(BIN)/python -m pytest -q tests/quality/test_fuzz_api.py

bench: $(STAMP)
	$(BIN)/pip install --quiet -c requirements.lock -e ".[bench]"
	$(BIN)/python -m bench

## Regenerate requirements.lock after changing pyproject.toml
lock:
	$(BIN)/pip list --format=freeze --exclude-editable | grep -v "^qaldyq" > requirements.lock  # name==version, never a local file path

clean:
	rm -rf $(VENV) .pytest_cache qaldyq.db* .qaldyq

## Crash consistency: SIGKILL a live server during concurrent writes (SQLite and PostgreSQL)
crash: $(STAMP)
	$(BIN)/python -m pytest -q -m crash tests/quality/test_crash.py

## Load: locust, 300 clients, mixed profile, against `qaldyq serve --workers 2` on PostgreSQL with the
## demo data (docs/quality.md, "Load"); the report is test-artifacts/load/report.md and locust.html
LOAD_TIME ?= 10m
LOAD_ARGS ?=
load: $(STAMP)
	$(BIN)/pip install --quiet -c requirements.lock -e ".[bench]"
	$(BIN)/python -m bench.load.run --users 300 --rate 10 --time $(LOAD_TIME) $(LOAD_ARGS)
