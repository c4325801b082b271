# `make run`: set up, build the sample city into var/matcher.db, serve on 127.0.0.1:8000.
# `make test`: the whole suite on SQLite, and its database tests again on PostgreSQL when TEST_DATABASE_URL is set.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAMPLE_WORKERS ?= 60000

.PHONY: install run city test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

city: install
	$(BIN)/matcher synth --workers $(SAMPLE_WORKERS) --seed 1 --if-empty

run: city
	$(BIN)/matcher serve --host 127.0.0.1 --port 8000

test: install
	env -u TEST_DATABASE_URL $(BIN)/pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== database tests again on PostgreSQL"; \
		$(BIN)/pytest -m db; \
	fi

lint: install
	$(BIN)/ruff check matcher api tests bench
	$(BIN)/mypy matcher api

bench: install
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var/matcher.db var/matcher.db-wal var/matcher.db-shm
