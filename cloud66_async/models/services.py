"""Services (Docker stacks) and their containers."""

import json
from datetime import datetime
from typing import Any

import attrs

__all__ = ["Container", "ContainerPort", "Service"]


def _runtime_repr(value: dict[str, Any] | None) -> str:
    # The runtime dump is long and holds the container's environment (passwords included).
    if value is None:
        return "None"
    return f"{{...{len(value)} keys}}"


@attrs.frozen(kw_only=True)
class ContainerPort:
    """One port mapping of a container: the ``container`` port and its ``http``/``https`` ports."""

    container: int | None = None
    http: int | None = None
    https: int | None = None


@attrs.frozen(kw_only=True)
class Container:
    """A running Docker container of a stack, identified by ``uid``.

    ``port_list`` is the API's JSON-encoded string (for example ``'["5128:3000"]'``); use
    :attr:`port_list_parsed` for the list. ``runtime`` (only from the container's own endpoint) is
    the ``docker inspect`` dump, kept as a plain dict; its repr is abbreviated because it holds the
    container's environment.
    """

    uid: str
    server_uid: str | None = None
    server_name: str | None = None
    service_name: str | None = None
    image: str | None = None
    port_list: str | None = None
    command: str | None = None
    started_at: datetime | None = None
    web_ports: str | None = None
    ports: tuple[ContainerPort, ...] | None = None
    private_ip: str | None = None
    docker_ip: str | None = None
    health_state: int | None = None
    health_message: str | None = None
    health_source: str | None = None
    capture_output: bool | None = None
    restart_on_deploy: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    runtime: dict[str, Any] | None = attrs.field(default=None, repr=_runtime_repr)

    @property
    def port_list_parsed(self) -> list[str] | None:
        """Return ``port_list`` decoded from its JSON string, or ``None`` when it is absent.

        Raises :class:`ValueError` if the string is not a JSON list of strings.
        """
        if self.port_list is None:
            return None
        parsed = json.loads(self.port_list)
        if not isinstance(parsed, list) or not all(isinstance(p, str) for p in parsed):
            raise ValueError(f"port_list is not a JSON list of strings: {self.port_list!r}")
        return parsed


@attrs.frozen(kw_only=True)
class Service:
    """A service of a Docker stack (``web``, ``worker``, ...), identified by ``name``."""

    name: str
    containers: tuple[Container, ...] | None = None
