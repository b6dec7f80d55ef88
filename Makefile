# The two commands a newcomer needs: `make run` and `make test`. Everything else is a step they call.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROD_STAMP := $(VENV)/.installed-prod
HOST ?= 127.0.0.1
PORT ?= 8000
# `make lock` keeps every pin the bounds in pyproject.toml allow; `make lock UPGRADE="django ruff"` moves those
# packages to the newest allowed, UPGRADE=all moves every one.
UPGRADE ?=

.PHONY: run serve test lint typecheck pytest install install-prod migrate messages lock clean bench bench-import

define new_venv
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
		{ echo "Python 3.11 or newer is needed (found: $$($(PYTHON) --version 2>&1)). Set PYTHON=/path/to/python3.11."; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
endef

# The development venv: the runtime pins plus the tools (requirements-dev.lock); rebuilt when either lock changes.
$(STAMP): requirements.lock requirements-dev.lock
	$(new_venv)
	$(BIN)/python -m pip install --quiet --require-virtualenv -r requirements-dev.lock
	@rm -f $(PROD_STAMP)
	@touch $(STAMP)

install: $(STAMP)

# A production install: the runtime lock alone, no test or type-checking tools. Into a venv of its own
# (make install-prod VENV=/srv/portal/venv); it refuses a venv that already holds the development tools.
$(PROD_STAMP): requirements.lock
	@test ! -e $(STAMP) || { echo "$(VENV) holds the development tools; choose another VENV=... for production."; exit 1; }
	$(new_venv)
	$(BIN)/python -m pip install --quiet --require-virtualenv -r requirements.lock
	@touch $(PROD_STAMP)

install-prod: $(PROD_STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

run: migrate
	$(BIN)/python manage.py seed_demo --if-empty
	@echo ""
	@echo "Demo logins (password for all: leifeng-demo):"
	@echo "  admin       superuser, the administration at http://$(HOST):$(PORT)/admin/"
	@echo "  leader      leader of the whole organisation"
	@echo "  secretary1  secretary of 康复中心支部"
	@echo "  secretary2  secretary of 办公室党支部"
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The production stack on this machine: DEBUG off, collectstatic, migrate, then gunicorn on HOST:PORT with
# WEB_CONCURRENCY workers (scripts/serve.py, which says what to set when SECRET_KEY or ALLOWED_HOSTS is missing).
# In the venv that exists: a production one (make install-prod VENV=...) or the development one.
serve: $(if $(wildcard $(PROD_STAMP)),$(PROD_STAMP),$(STAMP))
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python scripts/serve.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy .

pytest: $(STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

# The dashboard benchmark: a generated organisation of BENCH_SIZE in its own SQLite file (or DATABASE_URL).
BENCH_DB ?= sqlite:///$(CURDIR)/bench.sqlite3
BENCH_SIZE ?= --branches 500 --activities 100000 --beneficiaries 10000
bench: $(STAMP)
	DATABASE_URL=$(BENCH_DB) $(BIN)/python manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DB) $(BIN)/python manage.py seed_demo --if-empty $(BENCH_SIZE)
	DATABASE_URL=$(BENCH_DB) $(BIN)/python manage.py bench_dashboard

# The roster import's benchmark: 10,000 generated rows imported twice, in a scratch SQLite file (or BENCH_DB).
bench-import: $(STAMP)
	rm -f $(CURDIR)/bench-import.sqlite3
	DATABASE_URL=$(subst bench.sqlite3,bench-import.sqlite3,$(BENCH_DB)) $(BIN)/python manage.py migrate --noinput -v0
	DATABASE_URL=$(subst bench.sqlite3,bench-import.sqlite3,$(BENCH_DB)) $(BIN)/python manage.py seed_demo --if-empty
	DATABASE_URL=$(subst bench.sqlite3,bench-import.sqlite3,$(BENCH_DB)) $(BIN)/python manage.py bench_import

# Maintainer steps: refresh the Chinese catalogue after changing strings, and re-pin after editing pyproject.toml
# (the runtime lock first; the dev lock is constrained by it, so the two never pin a package differently).
messages: $(STAMP)
	$(BIN)/python manage.py makemessages --locale zh_Hans --ignore ".venv/*" --ignore "tests/*" --no-obsolete
	$(BIN)/python manage.py compilemessages --locale zh_Hans --ignore ".venv/*"

# pip-compile adds any package named by --upgrade-package to its output, so the runtime lock is given only the
# names it already pins, and a name neither lock pins is refused.
PIP_COMPILE = $(BIN)/pip-compile --strip-extras --no-emit-index-url --no-emit-find-links
pinned = $(shell sed -n 's/^\([a-z0-9][^=]*\)==.*/\1/p' $(1))
upgrade_names = $(shell echo '$(UPGRADE)' | tr 'A-Z_.' 'a-z--')
upgrade_args = $(if $(filter all,$(upgrade_names)),--upgrade,$(addprefix --upgrade-package ,$(1)))
lock: $(STAMP)
	@test -z "$(filter-out all $(call pinned,requirements-dev.lock),$(upgrade_names))" || \
		{ echo "UPGRADE names packages no lock pins: $(filter-out all $(call pinned,requirements-dev.lock),$(upgrade_names))"; exit 1; }
	$(PIP_COMPILE) $(call upgrade_args,$(filter $(call pinned,requirements.lock),$(upgrade_names))) \
		-o requirements.lock pyproject.toml
	$(PIP_COMPILE) $(call upgrade_args,$(upgrade_names)) --extra dev --constraint requirements.lock \
		-o requirements-dev.lock pyproject.toml

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
