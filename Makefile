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

.PHONY: install system-deps web-deps demo serve test lint bench
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

# Test-only tools from npm, pinned by tests/web/js/package-lock.json: axe-core (injected into
# the pages by the browser tests) and oidc-provider (the OpenID Connect provider of the
# single sign-on tests), run with the machine's Node.js.
WEB_JS = tests/web/js
$(WEB_JS)/node_modules/.installed: $(WEB_JS)/package.json $(WEB_JS)/package-lock.json
	@command -v npm >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null)
	npm ci --prefix $(WEB_JS) --no-audit --no-fund --loglevel=error
	touch $@
web-deps: $(WEB_JS)/node_modules/.installed

demo: install
	$(VENV)/bin/datalab demo

serve: install
	$(VENV)/bin/datalab serve

test: install system-deps web-deps
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -q -p no:cacheprovider

lint: install
	$(VENV)/bin/ruff check catalog connectors api cli tests bench
	$(VENV)/bin/mypy

bench: install
	$(VENV)/bin/python -m bench.ingest_bench
