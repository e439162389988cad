"""Project-wide test settings. Hypothesis: no per-example deadline and no too-slow health check, since a shared
2-core CI machine makes timing noisy; speed is measured by `make bench`, never asserted in tests."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "securebank",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "securebank"))
