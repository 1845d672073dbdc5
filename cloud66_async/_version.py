"""The installed package's version (the only place it is looked up)."""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("cloud66_async")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
