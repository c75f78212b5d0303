# One command to run the product, one to test it. Everything they need is set up on the way.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/helpdesk
export REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test lint fmt services venv migrate seed browser mailserver check-migrations clean lock

$(VENV)/.installed: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $@

venv: $(VENV)/.installed

services:
	bash config/bin/ensure-services.sh

migrate: venv services
	$(PY) config/bin/ensure-database.py
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	bash config/bin/run-all.sh

browser:
	bash config/bin/ensure-browser.sh

mailserver:
	bash config/bin/ensure-mailserver.sh

check-migrations: venv services
	$(PY) manage.py makemigrations --check --dry-run
	@if ls */migrations/*_auto_*.py >/dev/null 2>&1; then echo "Name every migration (found auto_ names):"; ls */migrations/*_auto_*.py; exit 1; fi

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# pytest's own exit codes pass through: 5 (no tests collected) fails the target like any other.
test: venv services browser mailserver lint check-migrations
	$(VENV)/bin/pytest --create-db -n 2

clean:
	rm -rf $(VENV) var .pytest_cache

# Re-pin after changing pyproject.toml's dependencies: install them into .venv, then `make lock`.
lock: venv
	{ echo "# Exact pins for every environment (app, tests, tools). Regenerate with 'make lock'."; \
	  $(PY) -m pip freeze --exclude-editable | grep -v '^-e'; } > requirements.lock
