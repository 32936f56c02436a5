# Firewatch: `make run` starts the embedded stack with a demo; `make test` runs the whole suite.
# Both create .venv when it is missing and install what the system lacks (scripts/setup-system.sh).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check setup venv fmt bench clean

$(STAMP): pyproject.toml
	@scripts/setup-system.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/firewatch up --demo

# pytest exits 5 when it collected no test: that is a broken suite, never a pass.
test: $(STAMP)
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing on purpose"; exit 1; fi; \
	exit $$rc

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports
	$(BIN)/firewatch schemas

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/firewatch bench ingest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
