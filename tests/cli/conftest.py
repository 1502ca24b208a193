"""Fixtures for the CLI tests live in cli_support (a unique module name: tests/integration has
its own helpers)."""
from cli_support import husk, root  # noqa: F401  (fixtures)
