# Readiness: `make run` starts the app, `make test` is the whole CI check.
# `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
# Steps run in the order written (system packages, then venv, then the rest).
.NOTPARALLEL:

HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MANAGE := $(PY) manage.py
# Extra arguments for pytest, e.g. make test PYTEST_ARGS="-x -k scoring"
PYTEST_ARGS ?=

.PHONY: help venv run test lint format bench audit clean distclean sysdeps-run sysdeps-test sso-provider axe

help:
	@echo "make run      start the app at http://$(HOST):$(PORT)/ (web + Celery worker; HOST, PORT)"
	@echo "make test     everything CI checks: lint, suite on SQLite, suite on PostgreSQL"
	@echo "make lint     ruff check, ruff format --check, mypy (domain rules), import contracts, bandit"
	@echo "make format   ruff format and ruff check --fix"
	@echo "make bench    run the scripts in benchmarks/"
	@echo "make audit    pip-audit of the installed packages (needs the network)"
	@echo "make venv     create $(VENV) with Python 3.12+ and install the project"
	@echo "make clean    remove caches and collected static files (keeps $(VENV) and var/)"
	@echo "make distclean  clean, then also remove $(VENV) and var/ (the local database)"

sysdeps-run:
	@bash scripts/system_deps.sh run

sysdeps-test:
	@bash scripts/system_deps.sh test

# The SSO tests' real OpenID Connect provider (oidc-provider on Node, tests/sso/provider),
# installed from its lock file when missing. Node 20 and npm come with the machine.
sso-provider:
	@if [ ! -d tests/sso/provider/node_modules/oidc-provider ]; then \
		command -v npm >/dev/null || { echo "npm is missing: install Node.js 20+ (NodeSource)" >&2; exit 1; }; \
		echo "Installing the SSO tests' OpenID Connect provider (npm ci)"; \
		npm ci --prefix tests/sso/provider --no-audit --no-fund; \
	fi

# axe-core for the accessibility browser tests (tests/browser/axe), from its lock file.
axe:
	@if [ ! -f tests/browser/axe/node_modules/axe-core/axe.min.js ]; then \
		command -v npm >/dev/null || { echo "npm is missing: install Node.js 20+ (NodeSource)" >&2; exit 1; }; \
		echo "Installing axe-core for the accessibility tests (npm ci)"; \
		npm ci --prefix tests/browser/axe --no-audit --no-fund; \
	fi

# (Re)create the venv when it is missing or older than Python 3.12; reinstall the
# project when pyproject.toml is newer than the stamp of the last install.
venv:
	@if ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
		python=$$(bash scripts/find_python.sh); \
		echo "Creating $(VENV) with $$python"; \
		rm -rf $(VENV); \
		"$$python" -m venv $(VENV); \
	fi
	@if [ ! -f $(STAMP) ] || [ pyproject.toml -nt $(STAMP) ]; then \
		echo "Installing the project and its dev dependencies into $(VENV)"; \
		$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'; \
		touch $(STAMP); \
	fi

run: sysdeps-run venv
	@mkdir -p var
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) seed_demo
	exec bash scripts/run.sh

test: sysdeps-test venv lint sso-provider axe
	env -u DATABASE_URL $(PY) -m pytest $(PYTEST_ARGS)
	PY=$(PY) bash scripts/pg_test.sh $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(VENV)/bin/bandit -c pyproject.toml -r . -q

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: venv
	@for script in benchmarks/[!_]*.py; do \
		[ -e "$$script" ] || { echo "no benchmarks/*.py yet"; break; }; \
		echo "== $$script"; \
		$(PY) "$$script"; \
	done

# Needs the network: pip-audit asks PyPI's vulnerability service about each
# installed package. Installed on the fly, it is not a dev dependency.
# --strict: a package it could not look up fails the audit instead of passing.
audit: venv
	$(PY) -m pip install --quiet --disable-pip-version-check pip-audit
	$(VENV)/bin/pip-audit --skip-editable --strict

clean:
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache .hypothesis test-results var/staticfiles *.egg-info

distclean: clean
	rm -rf $(VENV) var
