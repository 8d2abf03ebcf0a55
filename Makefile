# Chat Warehouse: every target sets up what it needs (a .venv in the project).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.9
# No DAGSTER_HOME here: each warehouse has its own instance, <warehouse>.dagster/ beside it,
# unless DAGSTER_HOME is set (orchestration/settings.py, dagster_home).
# One planned-materialization event per asset and run, not per day (see docs/design.md);
# `chatwh run` starts itself again with it when it is missing (orchestration/launcher.py).
export DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS ?= true

.PHONY: install demo test bench bench-serve docs lint dev lock browser java clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements/lock.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements/lock.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

demo: install
	$(BIN)/chatwh demo

# Headless Chromium (Debian's package) for the HTML report test.
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

# Java for the Spark tests (dbt-spark's local SparkSession); Debian's headless JRE 17.
java:
	@command -v java >/dev/null || { apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

# Files in collection order (dbt/, e2e/, orchestration/, then unit/'s light files to fill the
# tail), not by number of tests, which would start the heaviest few-test files last.
test: install browser java
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder tests

bench: install
	$(BIN)/python -m benchmarks.run
	@if [ -n "$(SERVE_LOAD)" ]; then $(MAKE) --no-print-directory bench-serve SIZE=$(SERVE_LOAD); fi

# Optional (make bench SERVE_LOAD=10M, or make bench-serve SIZE=10M after make bench): 200
# web-app users on chatwh serve for 60 s while a nightly run writes (docs/benchmarks.md).
SIZE ?= 10M
bench-serve: install
	CHATWH_PSEUDONYM_KEY=benchmark-key DAGSTER_HOME=$(CURDIR)/data/bench/$(SIZE)/dagster_home \
		$(BIN)/python -m benchmarks.serve_load --warehouse data/bench/$(SIZE)/warehouse.duckdb \
		--nightly-landing data/bench/$(SIZE)-366d/landing --nightly-date 2026-01-01 \
		--nightly-nice 10

# The catalog from the built warehouse, read-only, or from no file at all (orchestration/docs.py).
docs: install
	$(BIN)/python -m orchestration.docs

lint: install
	$(BIN)/ruff check orchestration simulator chatwh tests benchmarks
	$(BIN)/ruff format --check orchestration simulator chatwh tests benchmarks
	mkdir -p data && CHATWH_WAREHOUSE=$(CURDIR)/data/lint.duckdb $(BIN)/sqlfluff lint models
	cd simulator/sql && $(CURDIR)/$(BIN)/sqlfluff lint .

# dagster dev on the configured warehouse's instance; says which key it uses (never the key).
dev: install
	$(BIN)/python -m orchestration.dev

# Re-resolve the pinned dependencies (needs the package registry).
lock: install
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra spark -p 3.11 -o requirements/lock.txt

# What the project made itself: dbt's output, the demo's folder, lint's scratch database.
# Never the landing zone, the warehouse or the Dagster instance (data/landing,
# data/warehouse.duckdb, .dagster_home): those are the user's.
clean:
	rm -rf dbt_project/target dbt_project/logs data/demo data/lint.duckdb
