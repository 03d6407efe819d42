# Every target bootstraps its own virtual environment from pyproject.toml when missing.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
EXTRAS ?= dev,webhook,gatekeeper

.PHONY: demo test conformance lint bench system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

venv: $(STAMP)

## make demo: scan examples/ with the built-in rules (exits 1: the bad examples are meant to fail)
demo: $(STAMP)
	-$(BIN)/guardrails scan examples/

## make test: lint the layering, then the whole test suite
test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/pytest -q

## make conformance: the peer suites alone (Kyverno and Gatekeeper libraries, from ../shared/)
conformance: $(STAMP)
	$(BIN)/pytest -q tests/conformance

## make lint: ruff, mypy --strict, and the import contract
lint: $(STAMP)
	$(BIN)/ruff check guardrails tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

## make bench: speed and memory, as ratios measured side by side (PEER=1 adds checkov)
bench: $(STAMP)
	$(BIN)/python -m bench $(if $(PEER),--peer,)

## system packages some tests drive for real (Chromium, kubectl); root on CI
system-deps:
	bash .ci/system-deps

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache build *.egg-info
