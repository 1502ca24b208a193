"""The fault tier shares the integration tests' fixtures (husk_support)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from husk_support import bundle  # noqa: E402,F401  (fixture)
