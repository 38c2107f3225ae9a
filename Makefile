# Two commands do all the set-up on a fresh machine (see README.md):
#   make demo   serve the built-in demo catalogue on the embedded engines
#   make test   run the whole test suite (what .ci/run runs)
VENV ?= .venv
PYTHON ?= python3

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

.PHONY: install system-deps demo serve test lint bench
install: $(VENV)/.installed

# The browser tests drive Debian's Chromium through Playwright (never "playwright install");
# the database tests start a real PostgreSQL 15 from Debian's server binaries, and the graph
# store tests a real Virtuoso 7 (virtuoso-t, isql-vt) from Debian's virtuoso-opensource.
PG_BIN ?= /usr/lib/postgresql/15/bin
system-deps:
	@command -v chromium >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	@test -x $(PG_BIN)/initdb || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null)
	@command -v virtuoso-t >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq virtuoso-opensource >/dev/null)

demo: install
	$(VENV)/bin/datalab demo

serve: install
	$(VENV)/bin/datalab serve

test: install system-deps
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -q -p no:cacheprovider

lint: install
	$(VENV)/bin/ruff check catalog connectors api cli tests bench
	$(VENV)/bin/mypy

bench: install
	$(VENV)/bin/python -m bench.ingest_bench
