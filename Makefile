# The two set-up commands of the README: `make demo` (main job) and `make test` (whole suite).
# Both create .venv themselves and install everything the project needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# the dashboard's front end (frontend/) and its bundle, built into the package's ignored static/dist/
FRONTEND := frontend
BUNDLE := src/segmentr/web/static/dist/manifest.json
FRONTEND_SOURCES := $(shell find $(FRONTEND)/src -type f 2>/dev/null) $(FRONTEND)/build.mjs

.PHONY: demo test lint bench conformance clean bundle

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "segmentr needs Python >= 3.11"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

demo: $(STAMP) $(BUNDLE)
	$(BIN)/segmentr demo

test: $(STAMP) $(BUNDLE)
	bash scripts/ensure-system-deps.sh
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m segmentr.stof.conformance ../shared/conformance/stof/cases.json tests/stof/corpora/reference_details.json
	$(BIN)/python -m segmentr.policy.conformance ../shared/conformance/policy/scenarios.json tests/policy/corpora/reference_details.json
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/stof_eval.py
	$(BIN)/python bench/stof_loops.py
	$(BIN)/python bench/policy.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info $(FRONTEND)/node_modules src/segmentr/web/static/dist

# The dashboard's front end: node packages from the committed lockfile, then esbuild into the package's ignored
# static/dist/ folder; rebuilt only when a source, the lockfile or the build script changed.

$(FRONTEND)/node_modules/.installed: $(FRONTEND)/package.json $(FRONTEND)/package-lock.json
	bash scripts/build-frontend.sh install
	touch $@

$(BUNDLE): $(FRONTEND)/node_modules/.installed $(FRONTEND_SOURCES)
	bash scripts/build-frontend.sh build

bundle: $(BUNDLE)
