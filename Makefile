# Two commands for a fresh machine: `make report` (the main job on the embedded sample)
# and `make test`. Both create or reuse .venv by themselves.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: report test test-unit bench bench-quick lint sample clean-data check

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,maps]'
	@touch $(STAMP)

report: $(STAMP)
	$(BIN)/lcedu report

test: $(STAMP)
	$(BIN)/ruff check lcedu tests benchmarks
	$(BIN)/python -m pytest -q

# The fast tier: no processed data, no notebooks, no browser or LibreOffice (seconds, not minutes).
test-unit: $(STAMP)
	$(BIN)/python -m pytest -q -m "not integration and not notebooks and not browser and not office"

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run $(BENCH)

# Every benchmark once at tiny sizes, in a temporary folder: proves they run, asserts no figure (part of make test).
bench-quick: $(STAMP)
	$(BIN)/python -m pytest -q tests/test_benchmarks.py

lint: $(STAMP)
	$(BIN)/ruff check .

sample: $(STAMP)
	$(BIN)/lcedu sample

clean-data: $(STAMP)
	$(BIN)/lcedu clean

check: $(STAMP)
	$(BIN)/lcedu check
