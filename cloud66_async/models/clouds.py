"""Cloud providers available to an account."""

import attrs

__all__ = ["Cloud", "CloudRegion", "ServerSize"]


@attrs.frozen(kw_only=True)
class CloudRegion:
    """A region of a cloud: its ``id`` (``us-east-1``), ``name`` and, on some clouds, ``old_id``."""

    id: str | None = None
    name: str | None = None
    old_id: str | None = None


@attrs.frozen(kw_only=True)
class ServerSize:
    """A server size offered by a cloud: its ``id`` (``t2.micro``) and a display ``name``."""

    id: str | None = None
    name: str | None = None


@attrs.frozen(kw_only=True)
class Cloud:
    """A cloud provider linked to the account, identified by ``name`` (``aws``, ``digitalocean``).

    ``regions`` and ``server_sizes`` are tuples of :class:`CloudRegion` and :class:`ServerSize`.
    """

    name: str
    display_name: str | None = None
    regions: tuple[CloudRegion, ...] | None = None
    server_sizes: tuple[ServerSize, ...] | None = None
