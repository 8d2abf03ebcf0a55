# Chat Warehouse: every target sets up what it needs (a .venv in the project).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.9
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
# One planned-materialization event per asset and run, not per day (see docs/design.md).
export DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS ?= true
# A range's per-day materializations stored in one write per asset (orchestration/instance_storage.py).
export DAGSTER_EVENT_BATCH_SIZE ?= 1000

.PHONY: install demo test bench bench-serve docs lint dev lock browser clean

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

test: install browser
	$(BIN)/pytest -n 2 --dist loadfile tests

bench: install
	$(BIN)/python -m benchmarks.run
	@if [ -n "$(SERVE_LOAD)" ]; then $(MAKE) --no-print-directory bench-serve SIZE=$(SERVE_LOAD); fi

# Optional (make bench SERVE_LOAD=10M, or make bench-serve SIZE=10M after make bench): 200
# web-app users on chatwh serve for 60 s while a nightly run writes (docs/benchmarks.md).
SIZE ?= 10M
bench-serve: install
	CHATWH_PSEUDONYM_KEY=benchmark-key DAGSTER_HOME=$(CURDIR)/data/bench/$(SIZE)/dagster_home \
		$(BIN)/python -m benchmarks.serve_load --warehouse data/bench/$(SIZE)/warehouse.duckdb \
		--nightly-landing data/bench/$(SIZE)-366d/landing --nightly-date 2026-01-01

docs: install
	cd dbt_project && CHATWH_WAREHOUSE=$${CHATWH_WAREHOUSE:-$(CURDIR)/data/warehouse.duckdb} \
		../$(BIN)/dbt docs generate --static --profiles-dir .
	@echo "open dbt_project/target/static_index.html"

lint: install
	$(BIN)/ruff check orchestration tests benchmarks
	$(BIN)/ruff format --check orchestration tests benchmarks
	mkdir -p data && CHATWH_WAREHOUSE=$(CURDIR)/data/lint.duckdb $(BIN)/sqlfluff lint models

dev: install
	mkdir -p $(DAGSTER_HOME) && cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -m orchestration.definitions

# Re-resolve the pinned dependencies (needs the package registry).
lock: install
	$(BIN)/uv pip compile pyproject.toml --extra dev -p 3.11 -o requirements/lock.txt

clean:
	rm -rf data .dagster_home dbt_project/target dbt_project/logs
