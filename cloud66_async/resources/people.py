"""Accounts, users and their mobile devices."""

from __future__ import annotations

from .._paging import Paginator
from ..models import Account, Device, User
from . import _validate as v
from ._base import Manager
from ._endpoints import E

__all__ = ["AccountsManager", "UsersManager"]


class AccountsManager(Manager):
    """``client.accounts`` (needs ``users``)."""

    def list(self, *, max_items: int | None = None, start_page: int = 1) -> Paginator[Account]:
        """Iterate over the accounts the caller belongs to."""
        return self._list(E.accounts_list, {}, max_items=max_items, start_page=start_page)

    async def get(self, account_id: int) -> Account:
        """Return one account."""
        found: Account = await self._one(
            E.accounts_get, {"account_id": v.check_int("account_id", account_id, low=1)}
        )
        return found


class UsersManager(Manager):
    """``client.users`` (needs ``users``): users and their mobile devices."""

    def list(self, *, max_items: int | None = None, start_page: int = 1) -> Paginator[User]:
        """Iterate over the users the caller has access to."""
        return self._list(E.users_list, {}, max_items=max_items, start_page=start_page)

    async def get(self, user_id: int) -> User:
        """Return one user, with accounts, access rights and devices."""
        found: User = await self._one(
            E.users_get, {"user_id": v.check_int("user_id", user_id, low=1)}
        )
        return found

    async def add_device(
        self, user_id: int, *, token: str, device_type: int | str, sub_type: int | str
    ) -> Device:
        """Register a mobile device for a user's push notifications.

        ``device_type`` is ios/android (1/2), ``sub_type`` iphone/ipad/ipod (1/2/3).
        """
        found: Device = await self._one(
            E.users_add_device,
            {"user_id": v.check_int("user_id", user_id, low=1)},
            body={
                "token": v.check_str("token", token),
                "device_type": v.device_type(device_type),
                "sub_type": v.device_sub_type(sub_type),
            },
        )
        return found

    async def update_device(
        self, user_id: int, *, token: str, device_type: int | str, sub_type: int | str
    ) -> Device | None:
        """Change a device's type and sub-type.

        Returns the device, or ``None`` when the server answers nothing (the blueprint
        documents no answer).
        """
        return await self._one_or_none(
            E.users_update_device,
            {"user_id": v.check_int("user_id", user_id, low=1)},
            body={
                "token": v.check_str("token", token),
                "device_type": v.device_type(device_type),
                "sub_type": v.device_sub_type(sub_type),
            },
        )

    async def delete_device(self, user_id: int, token: str) -> None:
        """Remove a device."""
        await self._no_content(
            E.users_delete_device,
            {
                "user_id": v.check_int("user_id", user_id, low=1),
                "token": v.check_str("token", token),
            },
        )
