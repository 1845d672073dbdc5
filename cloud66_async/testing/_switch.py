"""Re-export of the SDK's test switch for waits."""

from .._waits import is_testing, set_testing

__all__ = ["is_testing", "set_testing"]
