# `make run`: set up, build the sample city into var/matcher.db, serve on 127.0.0.1:8000.
# `make test`: the whole suite on SQLite, and its database tests again on PostgreSQL when TEST_DATABASE_URL is set.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAMPLE_WORKERS ?= 60000

.PHONY: install browser vendor run city test screenshots lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Debian's Chromium and CJK fonts for the browser tests (Playwright drives /usr/bin/chromium), when missing.
browser:
	@if ! dpkg -s chromium fonts-noto-cjk >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk; \
		else \
			echo "browser tests need Debian's chromium and fonts-noto-cjk: sudo apt-get install chromium fonts-noto-cjk"; \
		fi; \
	fi

# The vendored scripts (web/static/vendor/, tests/vendor/), taken again from the npm registry at the versions
# their file names carry; git shows any difference.
VENDOR := htmx.org@2.0.11:dist/htmx.min.js:web/static/vendor/htmx-2.0.11.min.js \
	echarts@6.1.0:dist/echarts.min.js:web/static/vendor/echarts-6.1.0.min.js \
	axe-core@4.14.1:axe.min.js:tests/vendor/axe-4.14.1.min.js
vendor:
	@set -e; here=$$(pwd); tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for entry in $(VENDOR); do \
		package=$${entry%%:*}; rest=$${entry#*:}; file=$${rest%%:*}; target=$${rest#*:}; \
		(cd "$$tmp" && rm -rf package && tar xzf "$$(npm pack --silent "$$package")"); \
		cp "$$tmp/package/$$file" "$$here/$$target"; echo "$$package: $$target"; \
	done

city: install
	$(BIN)/matcher synth --workers $(SAMPLE_WORKERS) --seed 1 --if-empty

run: city
	$(BIN)/matcher serve --host 127.0.0.1 --port 8000

test: install browser
	env -u TEST_DATABASE_URL $(BIN)/pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== database tests again on PostgreSQL"; \
		$(BIN)/pytest -m db; \
	fi

# each role's main page, as the browser tests see it, for the README
screenshots: install browser
	MATCHER_SCREENSHOTS=docs/screenshots MATCHER_BROWSER_REQUIRED=1 $(BIN)/pytest tests/test_web.py

lint: install
	$(BIN)/ruff check matcher api web tests bench
	$(BIN)/mypy matcher api web

bench: install
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var/matcher.db var/matcher.db-wal var/matcher.db-shm
