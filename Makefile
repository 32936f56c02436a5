# Firewatch: `make run` starts the embedded stack with a demo; `make test` runs the whole suite.
# Both create .venv when it is missing and install what the system lacks (scripts/setup-system.sh).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check setup venv fmt bench clean lock

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

# requirements.lock: every runtime dependency and the build backend, pinned with hashes for any
# platform (uv's universal resolution); deploy/Dockerfile installs exactly that. Refresh it after
# changing dependencies in pyproject.toml, and commit it with them.
UV_VERSION := 0.13.9
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet 'uv==$(UV_VERSION)'
	$(BIN)/python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]))' > $(VENV)/build-requirements.in
	$(BIN)/uv pip compile pyproject.toml $(VENV)/build-requirements.in --universal \
		--python-version 3.11 --generate-hashes --custom-compile-command 'make lock' \
		--quiet -o requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
