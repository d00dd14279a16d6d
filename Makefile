# The project's commands. `make demo` then `make test` on a fresh clone; nothing else is needed.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCALE ?= province
SEED ?= 2015
export TKPK_DATA_DIR ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(CURDIR)/dagster_home
export DBT_PROFILES_DIR := $(CURDIR)/dbt_project

STAMP := $(VENV)/.installed
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/seeds -type f 2>/dev/null) dbt_project/dbt_project.yml dbt_project/profiles.yml

.PHONY: help setup demo run test ui bench lint docs clean manifest
.DEFAULT_GOAL := help

help:  ## this list (`make` alone prints it)
	@echo "TKPK Lampung poverty data warehouse. Usage: make <target> [SCALE=tiny|small|province] [SEED=n]"
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  \1\t\2/' | expand -t 16
	@echo "Data folder: $(TKPK_DATA_DIR) (TKPK_DATA_DIR). More: README.md; python -m pipelines.cli --help"

setup: $(STAMP) $(MANIFEST)  ## virtual environment, locked dependencies, dbt manifest

$(STAMP): pyproject.toml requirements.lock.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade uv
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock.txt
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $@

$(MANIFEST): $(STAMP) $(DBT_SOURCES)
	cd dbt_project && ../$(BIN)/dbt parse --quiet
	touch $@

manifest: $(MANIFEST)  ## the dbt manifest the code location loads (dbt parse)

demo: setup  ## demo extracts (if absent) + one full run + a summary
	@if [ ! -f "$(TKPK_DATA_DIR)/raw/_demo/manifest.json" ]; then \
		echo "Generating $(SCALE)-scale demo extracts into $(TKPK_DATA_DIR)/raw ..."; \
		$(BIN)/python -m demo_data --scale $(SCALE) --seed $(SEED) --out "$(TKPK_DATA_DIR)/raw"; \
	else echo "Demo extracts already in $(TKPK_DATA_DIR)/raw (delete it to regenerate)."; fi
	$(MAKE) --no-print-directory run
	$(BIN)/python -m pipelines.cli summary

run: setup  ## the nightly job once, in-process: one line a step, full log in data/logs/
	$(BIN)/python -m pipelines.cli run

test: setup ui-test-deps  ## the test suite (the UI test needs Debian's Chromium, installed here if missing)
	$(BIN)/python -m pytest -q

ui: setup  ## Dagster UI (webserver + daemon) on 127.0.0.1:3000
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

.PHONY: ui-test-deps
ui-test-deps:  ## Debian's Chromium for tests/test_ui.py (its fixture runs this when /usr/bin/chromium is missing)
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

bench: setup  ## benchmark of the whole nightly job (BENCH_ARGS="--scale 1,2,4")
	$(BIN)/python -m benchmarks.nightly $(BENCH_ARGS)

lint: setup  ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

docs: setup  ## dbt docs on 127.0.0.1:8080
	cd dbt_project && ../$(BIN)/dbt docs generate && ../$(BIN)/dbt docs serve --host 127.0.0.1 --port 8080

clean:  ## remove dbt's target/ and logs/
	rm -rf dbt_project/target dbt_project/logs
