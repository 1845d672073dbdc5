"""The fake's in-memory state: plain JSON dicts, and a lazy clock that finishes started work.

Every resource is the JSON object the API answers with, kept as a ``dict``. Keys starting with
``_`` are the fake's own bookkeeping (an internal id, a backup's group, a rule's expiry) and are
stripped by :func:`public` before anything is sent.

Asynchronous work (stack actions, deployments) is not run by background tasks: starting it
schedules a timer, and :meth:`State.advance` (called at the start of every request, and by the
test helpers) fires every timer that is due, in order, stamping results with the moment the
timer was due. A fake that is never asked anything does nothing.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import random
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ._formats import hex_id, iso_offset, iso_z, utc_words
from ._responses import ApiError, not_found

__all__ = [
    "DEPLOY_CANCELLED",
    "DEPLOY_FAILED",
    "DEPLOY_SUCCESS",
    "Config",
    "Outcome",
    "OutcomePlan",
    "StackRecord",
    "State",
    "commit_url",
    "find",
    "public",
]

#: Deployment outcomes (``outcome`` of a finished deployment).
DEPLOY_SUCCESS = {"code": 1, "meaning": "success"}
DEPLOY_FAILED = {"code": 2, "meaning": "failed"}
DEPLOY_CANCELLED = {"code": 3, "meaning": "cancelled"}

#: Stack status codes the fake moves between (see "Stack status values" in the blueprint).
STK_SUCCESS = 1
STK_FAILED = 2
STK_DEPLOYING = 6

_HEX40 = re.compile(r"[0-9a-f]{40}")


def public(obj: dict[str, Any]) -> dict[str, Any]:
    """Return a deep copy of ``obj`` without the fake's private (``_``-prefixed) keys."""
    return {key: copy.deepcopy(value) for key, value in obj.items() if not key.startswith("_")}


@dataclass
class Config:
    """Knobs the fake's owner may change at any time."""

    per_page: int = 30
    action_delay: float = 0.05
    deploy_duration: float = 0.2
    firewall_ttl_unit: float = 60.0
    redeploy_async_action: bool = False


@dataclass(frozen=True)
class Outcome:
    """How a piece of started work ends."""

    success: bool
    message: str | None = None


class OutcomePlan:
    """The outcomes of the next pieces of work: a queue of one-off outcomes, then a default."""

    def __init__(self) -> None:
        self.default = Outcome(True)
        self._queue: deque[Outcome] = deque()

    def set(self, outcome: Outcome, times: int | None) -> None:
        """Use ``outcome`` for the next ``times`` pieces of work, or for all of them (None)."""
        if times is None:
            self._queue.clear()
            self.default = outcome
        else:
            self._queue.extend([outcome] * times)

    def next(self) -> Outcome:
        """Take the outcome of the next piece of work."""
        return self._queue.popleft() if self._queue else self.default


@dataclass(order=True)
class _Timer:
    due: float
    seq: int
    callback: Callable[[float], None] = field(compare=False)


@dataclass
class StackRecord:
    """One stack and everything under it, each collection in the order the API lists it."""

    id: int
    stack: dict[str, Any]
    visible: bool = True
    server_groups: list[dict[str, Any]] = field(default_factory=list)
    servers: list[dict[str, Any]] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    containers: list[dict[str, Any]] = field(default_factory=list)
    env_vars: list[dict[str, Any]] = field(default_factory=list)
    firewalls: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    settings: list[dict[str, Any]] = field(default_factory=list)
    backups: list[dict[str, Any]] = field(default_factory=list)
    backup_tasks: list[dict[str, Any]] = field(default_factory=list)
    deployments: list[dict[str, Any]] = field(default_factory=list)  # newest first
    actions: list[dict[str, Any]] = field(default_factory=list)  # newest first
    #: kind -> {other id -> id}: objects the blueprint also names by another id (see resolve).
    aliases: dict[str, dict[Any, Any]] = field(default_factory=dict)

    @property
    def uid(self) -> str:
        """The stack's uid."""
        return str(self.stack["uid"])

    def resolve(self, kind: str, ident: Any) -> Any:
        """Return the id an object of ``kind`` is stored under, for one it is also named by.

        The blueprint's examples sometimes answer a path's id with an object of another id
        (``GET .../actions/4153`` shows action 10); the fake answers both, and the second id is
        never given to a new object (:meth:`State.claim`).
        """
        return self.aliases.get(kind, {}).get(ident, ident)


class State:
    """All data of one fake, and the timers that finish its actions and deployments."""

    def __init__(
        self,
        config: Config,
        *,
        seed: int = 66,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.rng = random.Random(f"{seed}:runtime")
        self._clock = clock
        self._mono0 = clock()
        self._wall0 = wall_clock()
        self.stacks: dict[str, StackRecord] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.accounts: dict[int, dict[str, Any]] = {}
        self.clouds: dict[str, dict[str, Any]] = {}
        self.current_user_id = 18
        #: kind -> {other id -> id} for the global objects (stacks, users, accounts).
        self.aliases: dict[str, dict[Any, Any]] = {}
        self.action_outcomes = OutcomePlan()
        self.deploy_outcomes = OutcomePlan()
        self._next_ids: dict[str, int] = {}
        self._claimed: dict[str, set[int]] = {}
        self._timers: list[_Timer] = []
        self._seq = itertools.count()

    # -- ids and time -------------------------------------------------------------------------

    def reserve(self, kind: str, used: int) -> None:
        """Record that id ``used`` of ``kind`` exists, so new ids come after it."""
        self._next_ids[kind] = max(self._next_ids.get(kind, 1), used + 1)

    def claim(self, kind: str, used: int) -> None:
        """Record that id ``used`` of ``kind`` is taken, without moving where new ids start."""
        self._claimed.setdefault(kind, set()).add(used)

    def allocate(self, kind: str) -> int:
        """Return a new id of ``kind``: global and increasing, like the live API's."""
        value = self._next_ids.get(kind, 1)
        claimed = self._claimed.get(kind, ())
        while value in claimed:
            value += 1
        self._next_ids[kind] = value + 1
        return value

    def resolve(self, kind: str, ident: Any) -> Any:
        """Return the id a global object (stack, user, account) is stored under.

        See :meth:`StackRecord.resolve`: the same, for objects that belong to no stack.
        """
        return self.aliases.get(kind, {}).get(ident, ident)

    def now(self) -> float:
        """Return the fake's monotonic time."""
        return self._clock()

    def wall(self, mono: float | None = None) -> datetime:
        """Return the UTC wall-clock moment of monotonic time ``mono`` (default: now)."""
        moment = self.now() if mono is None else mono
        return datetime.fromtimestamp(self._wall0 + (moment - self._mono0), UTC)

    # -- timers -------------------------------------------------------------------------------

    def schedule(self, delay: float, callback: Callable[[float], None]) -> None:
        """Call ``callback(due)`` once ``delay`` seconds have passed and someone looks."""
        heapq.heappush(
            self._timers, _Timer(self.now() + max(0.0, delay), next(self._seq), callback)
        )

    def advance(self) -> None:
        """Fire every timer that is due, oldest first."""
        now = self.now()
        while self._timers and self._timers[0].due <= now:
            timer = heapq.heappop(self._timers)
            timer.callback(timer.due)

    def finish_pending(self) -> None:
        """Fire every timer now, due or not."""
        now = self.now()
        while self._timers:
            timer = heapq.heappop(self._timers)
            timer.callback(min(timer.due, now))

    @property
    def pending(self) -> int:
        """The number of timers not fired yet."""
        return len(self._timers)

    # -- lookups ------------------------------------------------------------------------------

    def stack(self, uid: str, *, include_hidden: bool = False) -> StackRecord:
        """Return the stack ``uid`` or raise 404 (a stack still being created is hidden)."""
        record = self.stacks.get(self.resolve("stack", uid))
        if record is None or not (record.visible or include_hidden):
            raise not_found("stack", uid)
        return record

    def visible_stacks(self) -> list[StackRecord]:
        """Return the stacks the list shows, in list order."""
        return [record for record in self.stacks.values() if record.visible]

    @property
    def user_email(self) -> str:
        """The email of the user every token belongs to."""
        return str(self.users[self.current_user_id]["email"])

    def server(self, record: StackRecord, uid: str) -> dict[str, Any]:
        """Return a server of the stack by uid (or another uid it is known by), or raise 404."""
        return find(record.servers, "uid", record.resolve("server", uid), "server")

    def live_firewalls(self, record: StackRecord) -> list[dict[str, Any]]:
        """Return the stack's firewall rules, dropping those whose ttl ran out."""
        now = self.now()
        record.firewalls = [
            rule
            for rule in record.firewalls
            if rule.get("_expires_at") is None or now < rule["_expires_at"]
        ]
        return record.firewalls

    # -- actions ------------------------------------------------------------------------------

    def touch(self, record: StackRecord, moment: datetime | None = None) -> None:
        """Stamp the stack's last activity."""
        moment = moment or self.wall()
        record.stack["last_activity"] = iso_offset(moment)
        record.stack["last_activity_iso"] = iso_offset(moment)
        record.stack["updated_at"] = utc_words(moment)
        record.stack["updated_at_iso"] = iso_z(moment)

    def new_action(
        self,
        record: StackRecord,
        action: str,
        *,
        resource_type: str = "stack",
        resource_id: int | str | None = None,
    ) -> dict[str, Any]:
        """Create an unfinished action at the head of the stack's action list."""
        entry: dict[str, Any] = {
            "id": self.allocate("action"),
            "user": self.user_email,
            "resource_type": resource_type,
            "action": action,
            # The blueprint's table says int, every example and the Go client say string.
            "resource_id": str(record.id if resource_id is None else resource_id),
            "started_via": "api",
            "started_at": iso_z(self.wall()),
            "finished_at": None,
            "finished_success": None,
            "finished_message": None,
        }
        record.actions.insert(0, entry)
        self.touch(record)
        return entry

    def run_action(
        self,
        record: StackRecord,
        action: str,
        effect: Callable[[datetime], None] | None = None,
        *,
        resource_type: str = "stack",
        resource_id: int | str | None = None,
    ) -> dict[str, Any]:
        """Start an action that finishes ``action_delay`` seconds from now.

        Its outcome is taken from :attr:`action_outcomes` now, so the order of later reads
        cannot change it. On success ``effect`` applies the write; an :class:`ApiError` raised
        by the effect (the state changed meanwhile) fails the action with that message.
        """
        entry = self.new_action(
            record, action, resource_type=resource_type, resource_id=resource_id
        )
        outcome = self.action_outcomes.next()

        def finish(due: float) -> None:
            success, message = outcome.success, outcome.message
            if success and effect is not None:
                try:
                    effect(self.wall(due))
                except ApiError as exc:
                    success, message = False, exc.description
            self.finish_action(entry, success, message, due)

        self.schedule(self.config.action_delay, finish)
        return entry

    def finish_action(
        self, entry: dict[str, Any], success: bool, message: str | None, due: float
    ) -> None:
        """Mark an action finished (once)."""
        if entry["finished_at"] is not None:
            return
        entry["finished_at"] = iso_z(self.wall(due))
        entry["finished_success"] = success
        if message is None and not success:
            message = f"{entry['action']} failed"
        entry["finished_message"] = message

    # -- deployments --------------------------------------------------------------------------

    def start_deployment(
        self, record: StackRecord, *, git_ref: str | None, services: list[str] | None
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Start a deployment (and its tracking action when configured); return both."""
        outcome = self.deploy_outcomes.next()
        git_hash = git_ref if git_ref and _HEX40.fullmatch(git_ref) else hex_id(self.rng, 20)
        started = self.wall()
        deployment: dict[str, Any] = {
            "id": self.allocate("deployment"),
            "triggered_by": self.user_email,
            "triggered_via": {"code": 1, "meaning": "api"},
            "started_at": iso_z(started),
            "finished_at": None,
            "outcome": None,
            "git_hash": git_hash,
            "deploy_session": "".join(
                self.rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
                for _ in range(10)
            ),
            "deploy_type": {"code": 0, "meaning": "build"},
            "is_head": True,
            "is_live": False,
            "reverted": None,
            "reverted_by": None,
            "reverted_at": None,
            "is_deploying": True,
            "commit_url": commit_url(str(record.stack.get("git", "")), git_hash),
            "_git_ref": git_ref,
            "_services": services,
        }
        for older in record.deployments:
            older["is_head"] = False
        record.deployments.insert(0, deployment)
        record.stack["status"] = STK_DEPLOYING
        self.touch(record, started)
        tracking = None
        if self.config.redeploy_async_action:
            tracking = self.new_action(record, "redeploy")
            deployment["_action_id"] = tracking["id"]

        def finish(due: float) -> None:
            result = DEPLOY_SUCCESS if outcome.success else DEPLOY_FAILED
            self.finish_deployment(record, deployment, result, due, tracking)

        self.schedule(self.config.deploy_duration, finish)
        return deployment, tracking

    def finish_deployment(
        self,
        record: StackRecord,
        deployment: dict[str, Any],
        result: dict[str, Any],
        due: float,
        tracking: dict[str, Any] | None = None,
    ) -> None:
        """Finish a live deployment with ``result`` (once); a later call is a no-op."""
        if not deployment["is_deploying"]:
            return
        moment = self.wall(due)
        deployment["is_deploying"] = False
        deployment["finished_at"] = iso_z(moment)
        deployment["outcome"] = dict(result)
        if result == DEPLOY_SUCCESS:
            for other in record.deployments:
                other["is_live"] = other is deployment
        # The stack's status follows its newest deployment, so an older one that ends (the
        # seed's stuck deployment 112, cancelled) cannot mark a deploying stack finished.
        newest = record.deployments[0] if record.deployments else deployment
        if not newest["is_deploying"]:
            failed = newest["outcome"] == DEPLOY_FAILED
            record.stack["status"] = STK_FAILED if failed else STK_SUCCESS
        self.touch(record, moment)
        if tracking is not None:
            message = None if result == DEPLOY_SUCCESS else f"deployment {result['meaning']}"
            self.finish_action(tracking, result == DEPLOY_SUCCESS, message, due)

    def cancel_deployment(self, record: StackRecord, deployment: dict[str, Any]) -> None:
        """Cancel a live deployment now; its tracking action fails."""
        tracking = None
        if "_action_id" in deployment:
            tracking = next(
                (a for a in record.actions if a["id"] == deployment["_action_id"]), None
            )
        self.finish_deployment(record, deployment, DEPLOY_CANCELLED, self.now(), tracking)


def find(items: Iterable[dict[str, Any]], key: str, value: object, what: str) -> dict[str, Any]:
    """Return the first item whose ``key`` equals ``value``, or raise a 404 naming ``what``."""
    for item in items:
        if item.get(key) == value:
            return item
    raise not_found(what, value)


def commit_url(git: str, git_hash: str) -> str:
    """Return the web URL of a commit of a stack's git repository."""
    repo = git.removesuffix(".git").replace("http://", "https://", 1)
    if repo.startswith("git@"):
        repo = "https://" + repo[len("git@") :].replace(":", "/", 1)
    return f"{repo}/commit/{git_hash}"
