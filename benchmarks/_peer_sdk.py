"""The peer: a typical generated-style async SDK (httpx + pydantic v2), written for the benchmarks.

What many API SDKs look like (the openai one is the model): an ``httpx.AsyncClient`` kept alive,
pydantic v2 models validated from the answer bytes (``model_validate_json``), and a generic
async paginator: awaiting the paginator gives the first page, ``async for`` gives every item of
every page, each page knowing how to ask for the next. It does the same work as the SDK on the
same answers (typed models with aware datetimes, the blueprint's ``" UTC"`` timestamps
accepted), without the SDK's limiter, gate, retries or hooks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import Annotated, Any, Generic, TypeVar

import httpx
from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict

__all__ = ["AsyncPage", "AsyncPaginator", "PeerClient", "Server", "Stack"]

T = TypeVar("T", bound=BaseModel)


def _utc_suffix(value: object) -> object:
    # "2014-08-14 00:38:14 UTC" (the API's older format) -> ISO 8601, which pydantic reads.
    if isinstance(value, str) and value.endswith(" UTC"):
        return value[:-4] + "Z"
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_utc_suffix)]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Server(Model):
    uid: str
    vendor_uid: str | None = None
    name: str | None = None
    address: str | None = None
    distro: str | None = None
    distro_version: str | None = None
    dns_record: str | None = None
    user_name: str | None = None
    server_type: str | None = None
    server_roles: tuple[str, ...] | None = None
    server_group_id: int | None = None
    stack_uid: str | None = None
    has_agent: bool | None = None
    params: dict[str, Any] | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    region: str | None = None
    availability_zone: str | None = None
    ext_ipv4: str | None = None
    health_state: int | None = None
    int_ipv4: str | None = None
    int_ipv6: str | None = None
    ext_ipv6: str | None = None


class Stack(Model):
    uid: str
    name: str | None = None
    git: str | None = None
    git_branch: str | None = None
    environment: str | None = None
    cloud: str | None = None
    fqdn: str | None = None
    language: str | None = None
    framework: str | None = None
    status: int | None = None
    health: int | None = None
    last_activity: Timestamp | None = None
    last_activity_iso: Timestamp | None = None
    maintenance_mode: bool | None = None
    has_loadbalancer: bool | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    deploy_directory: str | None = None
    cloud_status: str | None = None
    created_at_iso: Timestamp | None = None
    updated_at_iso: Timestamp | None = None
    redeploy_hook: str | None = None


class StackAnswer(Model):
    response: Stack


class Pagination(Model):
    next: int | None = None
    current: int | None = None
    pages: int | None = None
    count: int | None = None
    per_page: int | None = None


# -- the generic paginator (openai-style) ------------------------------------------------------


class AsyncPage(Model, Generic[T]):
    """One page: its items and the envelope's pagination block."""

    response: list[T]
    pagination: Pagination | None = None

    def has_next_page(self) -> bool:
        return self.pagination is not None and self.pagination.next is not None

    def next_page_number(self) -> int | None:
        return self.pagination.next if self.pagination is not None else None


class AsyncPaginator(Generic[T]):
    """``await`` it for the first page; ``async for`` it for every item of every page."""

    def __init__(self, fetch: Callable[[int], Awaitable[AsyncPage[T]]]) -> None:
        self._fetch = fetch

    def __await__(self) -> Generator[Any, None, AsyncPage[T]]:
        return self._fetch(1).__await__()

    async def iter_pages(self) -> AsyncIterator[AsyncPage[T]]:
        page = await self._fetch(1)
        yield page
        while page.has_next_page():
            number = page.next_page_number()
            assert number is not None
            page = await self._fetch(number)
            yield page

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.response:
                yield item


class PeerClient:
    """The peer SDK's client: ``get_stack`` and ``list_servers``."""

    def __init__(self, token: str, base_url: str, headers: dict[str, str]) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers={**headers, "Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(60.0),
            # openai's defaults: enough kept-alive connections for 50 requests in flight.
            limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100),
        )

    async def get_stack(self, uid: str) -> Stack:
        resp = await self._http.get(f"/stacks/{uid}")
        resp.raise_for_status()
        return StackAnswer.model_validate_json(resp.content).response

    def list_servers(self, stack_uid: str) -> AsyncPaginator[Server]:
        async def fetch(number: int) -> AsyncPage[Server]:
            resp = await self._http.get(f"/stacks/{stack_uid}/servers", params={"page": number})
            resp.raise_for_status()
            return AsyncPage[Server].model_validate_json(resp.content)

        return AsyncPaginator(fetch)

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> PeerClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
