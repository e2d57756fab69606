# ai-impact-warehouse — the two commands are `make demo` and `make test`.
# Everything is installed from the committed uv.lock; uv itself is bootstrapped
# into .tools/ when it is not on PATH.

SHELL := /bin/bash
.DEFAULT_GOAL := help
SCALE ?= full

UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := .tools/bin/uv
endif

DBT_FLAGS := --project-dir dbt_project --profiles-dir dbt_project

# The `spark` group (pyspark, dbt-spark, a Java runtime) is installed by
# default, so `make test` runs the dbt project on local Spark too (README
# "Beyond one machine"); `make setup SYNC_GROUPS=` installs without it.
SYNC_GROUPS ?= --group spark

.PHONY: help setup demo ui test test-spark lint format bench manifest clean

help:
	@echo "make demo   install, generate the sample organisation, run the pipeline, print headline figures"
	@echo "make ui     the Dagster UI (dagster dev) on the demo's data and run history"
	@echo "make test   install and run the whole test suite"
	@echo "make test-spark  only the Spark tests (the dbt project on local Spark)"
	@echo "make lint   ruff + sqlfluff"
	@echo "make bench  benchmarks (SCALE=small for a quick one)"

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

# Bytecode is compiled once per lock: where PYTHONDONTWRITEBYTECODE is set (this
# sandbox, many CI images) Python never caches it, so every run and every dbt
# subprocess would compile dagster and dbt from source again, which nearly
# doubles their import time. Compiling once per lock, not on every make, since
# re-checking the whole environment's files each time costs a noticeable pause.
.venv/.bytecode-compiled: uv.lock pyproject.toml $(if $(filter .tools/bin/uv,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen --compile-bytecode $(SYNC_GROUPS)
	touch $@

setup: .venv/.bytecode-compiled
	$(UV) sync --frozen $(SYNC_GROUPS)
	$(MAKE) --no-print-directory manifest

# The dbt manifest is built here ahead of time; orchestration.dbt.dbt_project()
# rebuilds it on first use when stale, never on import.
manifest:
	$(UV) run --frozen python -c "from orchestration.dbt_manifest import ensure_manifest; ensure_manifest()"

demo: setup
	$(UV) run --frozen aiw demo

# The instance `aiw run` records in (data/dagster_home unless DAGSTER_HOME is
# set); the UI listens on 127.0.0.1 only.
ui: setup
	DAGSTER_HOME="$${DAGSTER_HOME:-$$($(UV) run --frozen python -m orchestration.instance)}" \
		$(UV) run --frozen dagster dev -h 127.0.0.1 -p 3000

# A module's tests share one worker when marked with an xdist_group (its
# published warehouse or local Spark is made once). Groups go out in the order
# they are collected: the dbt and end-to-end ones first, the many quick unit
# tests last, where they fill whichever worker finishes first.
test: setup
	$(UV) run --frozen pytest -n 2 --dist loadgroup --no-loadscope-reorder

# The dbt project on local Spark alone (also part of `make test`): the
# conformance case and a generated organisation against DuckDB.
test-spark: setup
	$(UV) run --frozen pytest -n 0 tests/dbt/test_spark.py tests/unit/test_spark_env.py

lint: setup
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen sqlfluff lint dbt_project

format: setup
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

bench: setup
	$(UV) run --frozen python benchmarks/run.py --scale $(SCALE)

clean:
	rm -rf data dbt_project/target dbt_project/logs .pytest_cache
