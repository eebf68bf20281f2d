# The options lakehouse. `make demo` and `make test` are all a newcomer needs.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

export OPTLAKE_PROJECT_DIR := $(CURDIR)
export OPTLAKE_WAREHOUSE ?= $(CURDIR)/warehouse
export OPTLAKE_SCHEMA ?= trading_db
export DBT_PROFILES_DIR := $(CURDIR)
export PYSPARK_PYTHON := $(CURDIR)/$(BIN)/python

DEMO_DAYS ?= 3
DEMO_ROWS ?= 400000
DEMO_START ?= 2025-01-27
DEMO_HISTORY ?= 210

.PHONY: env thrift-deps browser-deps thrift-start thrift-stop thrift-status demo test test-fast lint lint-python bench bench-quick bench-serve clean help

help:
	@echo "make demo   - install, generate $(DEMO_DAYS) sample days of quotes and bars ($(DEMO_HISTORY) days of daily history), load Bronze, build every layer, print tables, indicators and signals, write demo/report.html (charts), then maintain the tables (report)"
	@echo "make test   - install, lint the Python (ruff) and run the whole test suite (what CI runs)"
	@echo "make test-fast - the pure-Python and unit tests only (no Spark, dbt or servers; under 3 minutes)"
	@echo "make lint   - ruff check + format check of the Python; sqlfluff lint of the dbt SQL: sparksql dialect (local target), athena dialect (athena target, moto)"
	@echo "make bench  - benchmark: the daily job of every layer on a 10M, a 3M and a 40k-row day, history scaling to 250 days, a 20-day bootstrap; ours vs DuckDB vs the old pipeline (hours; --only SECTION: python benchmarks/bench.py)"
	@echo "make bench-quick - the same harness, every section, on small sizes (about 13 minutes)"
	@echo "make bench-serve - optlake serve under 50 concurrent HTTP clients: p50/p99 latency, requests/s (~1 min on a built warehouse)"
	@echo "make thrift-start / thrift-stop / thrift-status - the thrift target's servers (PostgreSQL metastore, Spark Thrift server)"
	@echo "make clean  - stop the thrift servers; remove the warehouses, demo data, the trained scorer and dbt artifacts (keeps .venv)"

ADAPTER := adapters/dbt-oss-spark

$(STAMP): pyproject.toml requirements.lock $(ADAPTER)/pyproject.toml
	@command -v java >/dev/null || { echo "Java 17 is required (apt-get install openjdk-17-jre-headless)"; exit 1; }
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c requirements.lock \
		--config-settings editable_mode=compat -e ".[dev]" -e $(ADAPTER)
	$(BIN)/python -m optlake.targets.jars
	touch $@

env: $(STAMP)

# PostgreSQL and its JDBC driver (Debian packages) for the thrift target's metastore.
thrift-deps:
	@bash scripts/install-thrift-deps.sh

# A headless Chromium (Debian package) for the browser tests of `optlake report` and the dbt docs site.
browser-deps:
	@bash scripts/install-browser-deps.sh

thrift-start: env thrift-deps
	$(BIN)/optlake thrift start

thrift-stop: env
	$(BIN)/optlake thrift stop

thrift-status: env
	$(BIN)/optlake thrift status

demo: env
	$(BIN)/optlake generate --days $(DEMO_DAYS) --rows-per-day $(DEMO_ROWS) --start $(DEMO_START) \
		--sets options,bars --history-days $(DEMO_HISTORY) --out demo/landing
	$(BIN)/optlake load demo/landing --reprocess
	$(BIN)/dbt build --project-dir . --target local
	$(BIN)/optlake train-scorer
	$(BIN)/optlake strategy --strategies RSIBollinger
	$(BIN)/dbt docs generate --project-dir . --target local --quiet
	$(BIN)/python scripts/docs_coverage.py target | tail -1
	$(BIN)/optlake summary
	$(BIN)/optlake report --out demo/report.html
	$(BIN)/optlake maintenance

# The thrift tests start their own PostgreSQL and Thrift server (on free ports, in a temporary folder).
test: env thrift-deps browser-deps lint-python
	$(BIN)/python -m pytest

# The inner loop: everything not marked `integration` (see pyproject.toml and tests/conftest.py).
test-fast: env
	$(BIN)/python -m pytest -m "not integration" -q

lint-python: env
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lint: lint-python
	$(BIN)/sqlfluff lint models tests/dbt analyses
	bash scripts/lint-athena.sh

bench: env
	$(BIN)/python benchmarks/bench.py

bench-quick: env
	$(BIN)/python benchmarks/bench.py --quick --out benchmarks/results/quick.json

# Serves $(OPTLAKE_WAREHOUSE) (make demo's) when built, else builds benchmarks/data/serve-warehouse once.
bench-serve: env
	$(BIN)/python benchmarks/serve.py

clean:
	@if [ -d .thrift ] && [ -x $(BIN)/optlake ]; then $(BIN)/optlake thrift stop; fi
	rm -rf warehouse demo target logs spark-warehouse derby.log .thrift scorers
