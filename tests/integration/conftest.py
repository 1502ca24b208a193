"""Fixtures for the integration tests live in husk_support (a unique module name)."""
from husk_support import bundle  # noqa: F401  (fixture)
