"""Hypothesis profiles: `ci` (derandomized, more examples, no deadline) and `dev` (fast).

The profile comes from HYPOTHESIS_PROFILE (`make test` passes it; `.ci/run` sets `ci`).
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
