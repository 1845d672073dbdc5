"""The package's version: the one place it is written (hatchling reads it from here when it
builds; ``tests/test_packaging.py`` checks that the built metadata agrees).

A constant rather than an ``importlib.metadata`` lookup, which costs ~0.1 s of import time.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
