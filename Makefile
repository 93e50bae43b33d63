# The two set-up commands of the README: `make demo` (main job) and `make test` (whole suite).
# Both create .venv themselves and install everything the project needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench conformance clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "segmentr needs Python >= 3.11"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/segmentr demo

test: $(STAMP)
	bash scripts/ensure-system-deps.sh
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m segmentr.stof.conformance ../shared/conformance/stof/cases.json tests/stof/corpora/reference_details.json
	$(BIN)/python -m segmentr.policy.conformance ../shared/conformance/policy/scenarios.json tests/policy/corpora/reference_details.json
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/stof_eval.py
	$(BIN)/python bench/policy.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
