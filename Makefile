# The two commands a newcomer needs: `make run` and `make test`. Everything else is a step they call.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck pytest install migrate messages lock clean bench bench-import

# A venv built from the pinned lock file; rebuilt when the lock changes.
$(STAMP): requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
		{ echo "Python 3.11 or newer is needed (found: $$($(PYTHON) --version 2>&1)). Set PYTHON=/path/to/python3.11."; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-virtualenv -r requirements.lock
	@touch $(STAMP)

install: $(STAMP)

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

# Maintainer steps: refresh the Chinese catalogue after changing strings, and re-pin after editing pyproject.toml.
messages: $(STAMP)
	$(BIN)/python manage.py makemessages --locale zh_Hans --ignore ".venv/*" --ignore "tests/*" --no-obsolete
	$(BIN)/python manage.py compilemessages --locale zh_Hans --ignore ".venv/*"

lock: $(STAMP)
	$(BIN)/pip-compile --extra dev --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
