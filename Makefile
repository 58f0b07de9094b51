# Two commands for a fresh machine: `make report` (the main job on the embedded sample)
# and `make test`. Both create or reuse .venv by themselves.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The exact versions of pyproject.toml's ranges, dev and maps extras included, for Linux and Python 3.11:
# what every machine installs. `make lock` makes it again after a range changes.
LOCK := requirements.lock

.PHONY: report test test-unit bench bench-quick lint format hooks lock sample clean-data check

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e '.[dev,maps]'
	@touch $(STAMP)

report: $(STAMP)
	$(BIN)/lcedu report

# Every tier on every core (pytest-xdist), a test file's tests on one worker: the session fixtures (the cleaned
# sample, the rendered site) are built once per worker. PYTHONDONTWRITEBYTECODE is cleared for the tests so
# that pytest keeps its rewritten test modules between runs.
test: $(STAMP)
	$(BIN)/ruff check lcedu tests benchmarks
	$(BIN)/ruff format --check lcedu tests benchmarks
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -n auto --dist loadfile

# The fast tier (under a minute on 2 cores): no processed data, no generated sample, no notebooks, no browser
# or LibreOffice.
test-unit: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -n auto -m "not integration and not slow and not notebooks and not browser and not office"

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run $(BENCH)

# Every benchmark once at tiny sizes, in a temporary folder: proves they run, asserts no figure (part of make test).
bench-quick: $(STAMP)
	$(BIN)/python -m pytest -q tests/test_benchmarks.py

lint: $(STAMP)
	$(BIN)/ruff check lcedu tests benchmarks
	$(BIN)/ruff format --check lcedu tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format lcedu tests benchmarks

# The checks of .pre-commit-config.yaml (ruff, ruff format, nbstripout) on every commit.
hooks: $(STAMP)
	$(BIN)/pre-commit install

lock: $(STAMP)
	$(BIN)/pip-compile --quiet --extra dev --extra maps --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links -o $(LOCK) pyproject.toml

sample: $(STAMP)
	$(BIN)/lcedu sample

clean-data: $(STAMP)
	$(BIN)/lcedu clean

check: $(STAMP)
	$(BIN)/lcedu check
