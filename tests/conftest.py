"""Hypothesis profiles: `ci` (derandomized, more examples, no deadline) and `dev` (fast).

The profile comes from HYPOTHESIS_PROFILE (`make test` passes it; `.ci/run` sets `ci`).
Property tests scale their example counts from the loaded profile's `max_examples`
(tests/test_properties.py), so `ci` runs every property at least 300 times.
"""

import os

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
