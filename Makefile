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

.PHONY: demo test bench notebooks docs clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.test-installed-$(TEST_EXTRAS): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[$(TEST_EXTRAS)]"
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

bench: $(VENV)/.bench-installed
	$(PY) -m benchmarks

# Every picture the README shows, in docs/ (the explorer's screenshot needs Chromium; it is
# skipped, with a note, without it).
docs: $(VENV)/.docs-installed
	$(PY) docs/pictures.py

notebooks: $(VENV)/.notebooks-installed
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
