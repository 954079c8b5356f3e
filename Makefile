# ctrack: two commands on a fresh machine.
#   make run   installs everything into .venv and .ctrack/, then starts the whole system with demo data
#   make test  installs, starts what the tests need (real Kafka + ClickHouse), runs every test, stops it all
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_SYSTEM ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
DATA_DIR ?= .ctrack
export CTRACK_STAGE_LOG := $(DATA_DIR)/stage-times
TIMED := scripts/timed

PACKAGES := libs/common stack services/session-tracker services/number-allocator services/call-ingest \
	services/attribution services/crm-sync sim
MODULES := ctrack_common ctrack_stack session_tracker number_allocator call_ingest attribution crm_sync ctrack_sim
LINT_PATHS := libs stack services sim tests bench

.PHONY: help setup setup-python setup-node setup-browser run down test lint unit integration bench clean schemas

help:
	@echo "make run    - install and start the whole system locally with demo data (Ctrl-C stops it)"
	@echo "make test   - install, lint, and run every test against a real Kafka broker and ClickHouse"
	@echo "make bench  - measure latency and throughput on this machine"
	@echo "make lint   - ruff and mypy"
	@echo "make down   - stop a stack started with 'ctrack up --detach'"

$(VENV)/.installed: constraints.txt $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
	@command -v $(PYTHON_SYSTEM) >/dev/null || { echo "Python 3.11+ is required (apt-get install python3 python3-venv)"; exit 1; }
	$(PYTHON_SYSTEM) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==0.13.9
	$(UV) pip install --quiet --python $(PY) -r constraints.txt
	$(UV) pip install --quiet --python $(PY) --no-deps $(foreach p,$(PACKAGES),-e $(p))
	touch $@

setup-python: $(VENV)/.installed

tracker-script/node_modules/.package-lock.json: tracker-script/package-lock.json
	@command -v npm >/dev/null || { echo "Node.js 18+ with npm is required (apt-get install nodejs npm)"; exit 1; }
	cd tracker-script && npm ci --no-audit --no-fund --loglevel=error

setup-node: tracker-script/node_modules/.package-lock.json

setup-browser:
	scripts/ensure-chromium

setup:
	@mkdir -p $(DATA_DIR) && rm -f $(CTRACK_STAGE_LOG)
	@$(TIMED) "install python packages" $(MAKE) --no-print-directory setup-python
	@$(TIMED) "fetch kafka (maven)" $(VENV)/bin/ctrack setup
	@$(TIMED) "install tracker-script (npm ci)" $(MAKE) --no-print-directory setup-node

run: setup
	$(VENV)/bin/ctrack up --demo

down:
	$(VENV)/bin/ctrack down

lint: setup-python
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)
	$(VENV)/bin/mypy $(foreach m,$(MODULES),-p $(m))
	$(VENV)/bin/mypy bench tests/support tests/browser

unit: setup-python
	$(PY) -m pytest -m "not integration and not e2e" -q

integration: setup-python
	$(PY) -m pytest -m "integration or e2e" -q

test: setup
	@$(TIMED) "install chromium (apt)" $(MAKE) --no-print-directory setup-browser
	@$(TIMED) "lint (ruff + mypy)" $(MAKE) --no-print-directory lint
	@$(TIMED) "unit tests" $(MAKE) --no-print-directory unit
	@$(TIMED) "integration + e2e tests" $(MAKE) --no-print-directory integration
	@echo; echo "Stage timings:"; cat $(CTRACK_STAGE_LOG)

bench: setup
	$(PY) -m bench

schemas: setup-python
	$(PY) -m ctrack_common.contracts write schemas

clean:
	-$(VENV)/bin/ctrack down
	rm -rf $(DATA_DIR) .pytest_cache .mypy_cache .ruff_cache
