# Each target creates .venv if missing and installs what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HYPOTHESIS_PROFILE ?= dev
# WITH_TORCH=1 also installs PyTorch (the CPU build pinned in pyproject's `torch` extra), so the
# PyTorch oracle and export tests run instead of skipping.
WITH_TORCH ?=
comma := ,
TEST_EXTRAS := test$(if $(WITH_TORCH),$(comma)torch)

.PHONY: demo test test-versions check bench notebooks docs docs-serve clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.test-installed-$(TEST_EXTRAS): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[$(TEST_EXTRAS)]"
	touch $@

$(VENV)/.check-installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[check]"
	touch $@

$(VENV)/.demo-installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[demo]"
	touch $@

$(VENV)/.notebooks-installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[notebooks]"
	touch $@

$(VENV)/.docs-installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[docs]"
	touch $@

$(VENV)/.bench-installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[bench]"
	touch $@

demo: $(VENV)/.demo-installed
	$(PY) -m nn.demo

test: $(VENV)/.test-installed-$(TEST_EXTRAS)
	HYPOTHESIS_PROFILE=$(HYPOTHESIS_PROFILE) $(PY) -m pytest

# The core packages' tests on Python 3.10 and 3.13 too (uv makes .venv-3.10, .venv-3.13).
test-versions:
	.ci/python-versions

# Lint, formatting and types over autograd/ and nn/ (the rules and the strictness, with the
# reasons, are in pyproject.toml: [tool.ruff], [tool.mypy]).
check: $(VENV)/.check-installed
	$(VENV)/bin/ruff check autograd nn
	$(VENV)/bin/ruff format --check autograd nn
	$(VENV)/bin/mypy

bench: $(VENV)/.bench-installed
	$(PY) -m benchmarks
	$(PY) -m benchmarks.render
	$(PY) -m benchmarks.live

# The documentation site: regenerate its pictures (docs/pictures.py; the explorer's screenshot
# needs Chromium and is skipped, with a note, without it), then build site/ strictly (a broken
# link or a failing API reference fails). docs-serve previews it at http://127.0.0.1:8000.
docs: $(VENV)/.docs-installed
	$(PY) docs/pictures.py
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

docs-serve: $(VENV)/.docs-installed
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs serve

notebooks: $(VENV)/.notebooks-installed
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf $(VENV) .venv-3.* out site dist .pytest_cache .hypothesis
