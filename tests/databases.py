"""The engines every database test runs on."""

import pytest

# The PostgreSQL half is left to the full suite: `-m "not slow"` is the quick loop, where
# SQLite catches most mistakes and a second engine would double the time.
DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.slow)]
