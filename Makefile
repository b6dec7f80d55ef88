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

.PHONY: run serve test lint typecheck pytest install install-prod migrate messages lock clean bench bench-import \
	backup restore

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
	@echo "  volunteer1  a member of 康复中心支部 with their own login: /me/, two pairings, hours waiting"
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The production stack on this machine: DEBUG off, collectstatic, migrate, then gunicorn on HOST:PORT with
# WEB_CONCURRENCY workers (scripts/serve.py, which says what to set when SECRET_KEY or ALLOWED_HOSTS is missing).
# In the venv that exists: a production one (make install-prod VENV=...) or the development one.
serve: $(if $(wildcard $(PROD_STAMP)),$(PROD_STAMP),$(STAMP))
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python scripts/serve.py

# Backups (volunteer_portal/backups.py): the database and the media in one file, encrypted with BACKUP_PASSPHRASE.
# `make backup` writes backups/volunteer-portal-<UTC time>.tar.gpg, or FILE=path (a file, or a folder to write in).
# `make restore FILE=path` brings both back; FORCE=1 lets it replace a portal that already holds data.
backup: $(if $(wildcard $(PROD_STAMP)),$(PROD_STAMP),$(STAMP))
	$(BIN)/python manage.py backup $(if $(FILE),--output "$(FILE)")

restore: $(if $(wildcard $(PROD_STAMP)),$(PROD_STAMP),$(STAMP))
	@test -n "$(FILE)" || { echo "make restore needs the backup to restore: make restore FILE=path/to/backup.tar.gpg"; exit 2; }
	$(BIN)/python manage.py restore "$(FILE)" $(if $(filter 1 true yes,$(FORCE)),--force)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy .

pytest: $(STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

# The leader pages' benchmark (README, "Performance"): two generated regions of BENCH_BRANCHES branches, 100,000 and
# 1,000,000 activities, in a private PostgreSQL cluster (initdb's defaults, autovacuum on) in BENCH_PG on port
# BENCH_PORT, started for the run and stopped after it; each database is seeded once and reused.
# BENCH_DBS="LABEL=DATABASE_URL=ACTIVITIES ..." measures other databases; QUICK=1 is a smoke test on SQLite.
BENCH_DB ?= sqlite:///$(CURDIR)/bench.sqlite3
BENCH_PG ?= /tmp/volunteer-portal-bench-pg
BENCH_PORT ?= 54340
BENCH_PG_URL = postgres://postgres@127.0.0.1:$(BENCH_PORT)
ifdef QUICK
BENCH_BRANCHES ?= 100
BENCH_DBS ?= 10k=sqlite:///$(CURDIR)/bench-10k.sqlite3=10000 30k=sqlite:///$(CURDIR)/bench-30k.sqlite3=30000
BENCH_ARGS ?= --quick
else
BENCH_BRANCHES ?= 1000
BENCH_DBS ?= 100k=$(BENCH_PG_URL)/bench_100k=100000 1m=$(BENCH_PG_URL)/bench_1m=1000000
endif
bench: $(STAMP)
	@set -e; \
	case "$(BENCH_DBS)" in *127.0.0.1:$(BENCH_PORT)/*) \
		trap 'scripts/bench_postgres.sh stop $(BENCH_PG)' EXIT; \
		scripts/bench_postgres.sh start $(BENCH_PG) $(BENCH_PORT) \
			$$(for spec in $(BENCH_DBS); do rest=$${spec#*=}; url=$${rest%=*}; \
				case $$url in *127.0.0.1:$(BENCH_PORT)/*) echo $${url##*/};; esac; done);; \
	esac; \
	databases=; \
	for spec in $(BENCH_DBS); do \
		label=$${spec%%=*}; rest=$${spec#*=}; url=$${rest%=*}; activities=$${rest##*=}; \
		DATABASE_URL=$$url $(BIN)/python manage.py migrate --noinput -v0; \
		DATABASE_URL=$$url $(BIN)/python manage.py seed_demo --if-empty --branches $(BENCH_BRANCHES) \
			--activities $$activities; \
		if $(BIN)/python manage.py help figures_check >/dev/null 2>&1 && \
			! DATABASE_URL=$$url $(BIN)/python manage.py figures_check >/dev/null 2>&1; then \
			echo "$$label: the figure store disagrees with the base tables (made before a change?): rebuilding it"; \
			DATABASE_URL=$$url $(BIN)/python manage.py figures_rebuild; \
		fi; \
		databases="$$databases --database $$label=$$url"; \
	done; \
	$(BIN)/python manage.py bench_dashboard $(BENCH_ARGS) $$databases

# The roster import's benchmark: 10,000 generated rows imported twice, in a scratch SQLite file (or BENCH_DB).
bench-import: $(STAMP)
	rm -f $(CURDIR)/bench-import.sqlite3
	DATABASE_URL=$(subst bench.sqlite3,bench-import.sqlite3,$(BENCH_DB)) $(BIN)/python manage.py migrate --noinput -v0
	DATABASE_URL=$(subst bench.sqlite3,bench-import.sqlite3,$(BENCH_DB)) $(BIN)/python manage.py seed_demo --if-empty
	DATABASE_URL=$(subst bench.sqlite3,bench-import.sqlite3,$(BENCH_DB)) $(BIN)/python manage.py bench_import

# The load test (scripts/loadtest.py, Locust): make serve's stack on PostgreSQL with the demo data, on loopback
# (127.0.0.1:18020), in its own database LOADTEST_DATABASE_URL (default volunteer_portal_load, recreated each run).
# 6-8 minutes; it exits 1 when a target is missed, unless LOADTEST_REPORT_ONLY=1. README: "Load test".
.PHONY: loadtest
loadtest: $(STAMP)
	$(BIN)/python scripts/loadtest.py

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
