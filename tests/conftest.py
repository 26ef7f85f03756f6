"""Hypothesis profiles: `ci` (derandomized, more examples, no deadline) and `dev` (fast).

The profile comes from HYPOTHESIS_PROFILE (`make test` passes it; `.ci/run` sets `ci`).
Property tests scale their example counts from the loaded profile's `max_examples`
(tests/test_properties.py), so `ci` runs every property at least 300 times.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

# Derandomized: the same examples on every CI run, so a red build reproduces locally with
# HYPOTHESIS_PROFILE=ci. No deadline: CI machines are slow and noisy.
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=300,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def require_torch():
    """PyTorch, the tests' float64 oracle: `make test WITH_TORCH=1` installs it (.ci/run does).
    Under CI (CI set) its absence FAILS the test instead of skipping it, so the oracle tests
    cannot silently stop running; elsewhere they skip with this reason."""
    try:
        import torch
    except ImportError:
        message = "PyTorch is not installed: no float64 oracle (make test WITH_TORCH=1 installs it)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; under CI it must be installed")
        pytest.skip(message)
    return torch


@pytest.fixture(scope="session")
def torch():
    """The `torch` module for oracle tests (see `require_torch`)."""
    return require_torch()


def require_dot_program() -> None:
    """A picture needs a dot program; graphviz-pure comes with dagrad, so its absence is a
    broken install: a failure under CI, a skip (naming the fix) elsewhere."""
    from autograd.render import GraphvizNotFoundError
    from autograd.render.backend import find_backend

    try:
        find_backend("tests")
    except GraphvizNotFoundError as error:
        if os.environ.get("CI"):
            pytest.fail(f"no dot program in CI: {error}")
        pytest.skip(str(error))


@pytest.fixture
def needs_dot():
    """Skips (or, under CI, fails) a test when no dot program can run (see `require_dot_program`)."""
    require_dot_program()
