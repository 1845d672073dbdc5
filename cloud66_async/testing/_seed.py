"""Deterministic seed data: the blueprint's examples, then generated stacks around them.

The example objects are read from the vendored blueprint (``_blueprint.blueprint``, parsed once
per process; each fake deep-copies what it keeps). Everything else is drawn from one
``random.Random(seed)``, so two fakes built with the same arguments hold identical data. The
blueprint's example stack ``5999b763474b0eafa5fafb64bff0ba80`` ("Awesome App") comes first and
owns the example objects, with the example values kept, and every request the blueprint
documents on it succeeds (:meth:`Seeder.documented_requests`; tests/samples/FIXES.md lists the
choices made where the blueprint contradicts itself). The two stacks the example user has access
rights to (``5acd4341...``, ``8cc98495...``) are the first generated ones. The factories here
are also used when the fake creates objects at run time.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from ._blueprint import Edition, blueprint
from ._formats import hex_id, iso_offset, iso_z, jitter, nanos_z, parse_z, utc_words
from ._state import DEPLOY_FAILED, DEPLOY_SUCCESS, StackRecord, State, commit_url

__all__ = [
    "Seeder",
    "backup_file_url",
    "container_runtime",
    "new_container",
    "new_stack_record",
    "private_key",
    "seed_state",
    "server_setting_id",
    "service_spec",
    "setting_id",
]


# -- what the blueprint documents ---------------------------------------------------------------
#
# The example objects come from the vendored blueprint, read once per process by
# ``_blueprint.blueprint``; each fake deep-copies what it keeps.


def _doc(name: str, edition: Edition = "v3") -> Any:
    """Return the documented answer of operation ``name`` (shared: never change it)."""
    return blueprint(edition)[name].response


def _answer(name: str, edition: Edition = "v3") -> Any:
    """Return a private copy of the documented answer of operation ``name``."""
    return blueprint(edition)[name].example()


def _param(name: str, param: str, edition: Edition = "v3") -> Any:
    """Return the documented example value of parameter ``param`` of operation ``name``."""
    return next(p.value for p in blueprint(edition)[name].parameters if p.name == param)


def example_stack_uid() -> str:
    """Return the uid of the blueprint's example stack ("Awesome App")."""
    return str(_doc("Stack")["uid"])


def preset_uids() -> list[str]:
    """Return the stacks the example user's access rights name (the first generated stacks)."""
    return [str(right["stack"]) for right in _doc("User List")[0]["access_rights"]]


def backup_file_url() -> str:
    """Return the signed URL of the "Backup file" example (the fake answers it verbatim)."""
    return str(_doc("Backup file")["public_url"])


_EPOCH = datetime(2014, 3, 1, tzinfo=UTC)

_ADJECTIVES = (  # noqa: SIM905 (a word list reads better as text)
    "Awesome Billing Blue Bright Calm Clever Cosmic Crimson Daily Eager Electric Fancy "
    "Golden Happy Hidden Iron Jolly Lunar Magic Mellow Nimble Noble Orange Polar Quick "
    "Quiet Rapid Silver Solar Swift Tidy Urban Vivid Wild Witty Young Zesty"
).split()
_NOUNS = (  # noqa: SIM905 (a word list reads better as text)
    "App Api Blog Cart Catalog Console Dashboard Engine Forum Gateway Hub Inventory "
    "Ledger Mailer Market Monitor Notes Portal Reports Scheduler Search Shop Store "
    "Studio Tracker Wiki"
).split()
_ANIMALS = (  # noqa: SIM905 (a word list reads better as text)
    "Caribou Gazelle Cormorant Antelope Badger Bison Capybara Dingo Egret Falcon Gecko "
    "Heron Ibis Jackal Kestrel Lemur Marmot Narwhal Ocelot Puffin Quokka Raven "
    "Salamander Tapir Urchin Vulture Walrus Yak Zebra Alpaca Beaver Cheetah Dolphin "
    "Ermine Ferret Gibbon Hyena Impala Jaguar Koala Lynx Meerkat Newt Otter Panda Quail "
    "Reindeer Stork Toucan"
).split()
_ENVIRONMENTS = ("production", "production", "staging", "development")
_STACK_CLOUDS = (
    ("DigitalOcean", "digitalocean", "Cloud (DigitalOcean) ", ("ams2", "nyc3", "lon1", "sfo1")),
    ("AWS", "aws", "Cloud (AWS) ", ("us-east-1", "eu-west-1", "ap-southeast-2")),
    ("Linode", "linode", "Cloud (Linode) ", ("Newark, NJ, USA", "London, England, UK")),
    ("Rackspace", "rackspace", "Cloud (Rackspace) ", ("london", "dallas")),
)
_FRAMEWORKS = (
    ("ruby", "rails", "rails", "Rails Server"),
    ("ruby", "sinatra", "rack", "Rack Server"),
    ("node", "express", "node", "Node Server"),
    ("docker", "docker", "docker", "Docker Server"),
)
_DATABASES = (
    ("postgresql", "PostgreSQL Server", 5432),
    ("mysql", "MySQL Server", 3306),
    ("redis", "Redis Server", 6379),
    ("mongodb", "MongoDB Server", 27017),
)
_ALERT_TYPES = (
    "stack.provision.ok",
    "stack.provision.fail",
    "stack.redeploy.ok",
    "stack.redeploy.fail",
    "stack.scale.ok",
    "stack.scale.fail",
    "server.stopped",
    "server.started",
    "server.disk.low",
    "server.memory.low",
    "backup.ok",
    "backup.fail",
    "ssl.certificate.expiring",
    "process.crashed",
    "deploy.hook.fail",
    "stack.health.broken",
)
_SERVICES: dict[str, tuple[str, str, int | None, str]] = {
    # name: (image, command, container port, web ports)
    "web": ("quay.io/cloud66/sample-rails", "bundle exec rackup -p 3000", 3000, "80:443"),
    "worker": ("quay.io/cloud66/sample-rails", "bundle exec sidekiq", None, ""),
    "api": ("quay.io/cloud66/sample-api", "node server.js", 8080, "8080:8443"),
    "scheduler": ("quay.io/cloud66/sample-rails", "bundle exec clockwork clock.rb", None, ""),
}
_USER_ENV = (
    ("SECRET_KEY_BASE", True),
    ("SMTP_HOST", False),
    ("SMTP_PORT", False),
    ("SMTP_USERNAME", False),
    ("SMTP_PASSWORD", True),
    ("S3_BUCKET", False),
    ("AWS_ACCESS_KEY_ID", False),
    ("AWS_SECRET_ACCESS_KEY", True),
    ("NEW_RELIC_LICENSE_KEY", True),
    ("SENTRY_DSN", False),
    ("FEATURE_FLAGS", False),
    ("LOG_LEVEL", False),
    ("MAX_THREADS", False),
    ("WEB_CONCURRENCY", False),
    ("CDN_HOST", False),
    ("STRIPE_PUBLISHABLE_KEY", False),
    ("STRIPE_SECRET_KEY", True),
    ("GOOGLE_ANALYTICS_ID", False),
    ("REDIS_NAMESPACE", False),
    ("TZ", False),
)
_STACK_ENV = (
    ("STACK_BASE", True),
    ("STACK_ENVIRONMENT", True),
    ("RAILS_ENV", False),
    ("RACK_ENV", False),
    ("WEB_ADDRESS_INT", True),
    ("WEB_ADDRESS_EXT", True),
    ("WEB_ADDRESSES_INT", True),
    ("WEB_ADDRESSES_EXT", True),
    ("POSTGRESQL_ADDRESS", True),
    ("POSTGRESQL_ADDRESS_INT", True),
    ("POSTGRESQL_ADDRESS_EXT", True),
    ("POSTGRESQL_DATABASE", False),
    ("POSTGRESQL_URL", True),
    ("POSTGRESQL_SLAVE_ADDRESSES", False),
    ("ELASTICSEARCH_ADDRESS", True),
    ("ELASTICSEARCH_URL", True),
)
_SERVER_SETTINGS = (
    ("passenger.pool.max", lambda server: server["params"]["passenger_pool_max"], ""),
    ("nginx.worker.processes", lambda server: server["params"]["cached_cores"], ""),
    ("swap.size", lambda server: "1024", "Warning! Changing this value reconfigures the swap file"),
)


# -- small helpers ------------------------------------------------------------------------------


def setting_id(key: str) -> str:
    """Return the id of a setting key: ``git.branch`` -> ``git-branch``."""
    return key.replace(".", "-")


server_setting_id = setting_id


def _slug(name: str, sep: str = "-") -> str:
    return sep.join(name.lower().split())


def _ipv4(rng: random.Random, first: tuple[int, ...]) -> str:
    return ".".join(
        str(part) for part in (rng.choice(first), *(rng.randrange(1, 255) for _ in range(3)))
    )


def _private_ipv4(rng: random.Random) -> str:
    return f"10.{rng.randrange(0, 255)}.{rng.randrange(0, 255)}.{rng.randrange(2, 255)}"


def _at(moment: datetime) -> dict[str, str]:
    return {"created_at": iso_z(moment), "updated_at": iso_z(moment)}


def service_spec(name: str) -> tuple[str, str, int | None, str]:
    """Return (image, command, container port, web ports) for a service name."""
    return _SERVICES.get(name, (f"quay.io/cloud66/{name}", f"bin/{name}", None, ""))


def private_key(server: dict[str, Any]) -> str:
    """Return a stable, obviously fake PEM private key for a server."""
    digest = b"".join(hashlib.sha512(f"{server['uid']}:{i}".encode()).digest() for i in range(12))
    text = base64.b64encode(digest).decode()
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    return (
        "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----\n"
    )


# -- factories (used by seeding and at run time) ------------------------------------------------


def new_container(
    rng: random.Random, server: dict[str, Any], service: str, moment: datetime
) -> dict[str, Any]:
    """Create a container of ``service`` on ``server``, with the fields of both container views."""
    image, command, port, web_ports = service_spec(service)
    created = moment.replace(microsecond=0)
    ports = [{"container": port, "http": 80, "https": 443}] if port == 3000 else []
    if port is not None and port != 3000:
        ports = [{"container": port, "http": port, "https": port + 363}]
    return {
        "uid": hex_id(rng, 32),
        "server_uid": server["uid"],
        "server_name": server["name"],
        "service_name": service,
        "image": image,
        "port_list": f'["{rng.randrange(5000, 6000)}:{port}"]' if port is not None else "[]",
        "command": command,
        "started_at": iso_z(created),
        "web_ports": web_ports,
        "ports": ports,
        "private_ip": f"25.0.{rng.randrange(0, 4)}.{rng.randrange(2, 255)}",
        # Only a container's own page shows its docker ip (it comes from the runtime).
        "docker_ip": None,
        "_docker_ip": f"172.17.0.{rng.randrange(2, 255)}",
        "health_state": 1,
        "health_message": None,
        "health_source": "system",
        "capture_output": True,
        "restart_on_deploy": True,
        "created_at": iso_z(created + timedelta(seconds=6)),
        "updated_at": iso_z(created + timedelta(seconds=9)),
    }


def container_runtime(container: dict[str, Any]) -> dict[str, Any]:
    """Return Docker's ``inspect`` output for a container (the example's, adapted)."""
    shown = _doc("Container show")
    runtime: dict[str, Any] = copy.deepcopy(shown["runtime"])
    if container["uid"] == shown["uid"]:
        return runtime
    uid = str(container["uid"])
    digest = hashlib.sha256(uid.encode()).hexdigest()
    args = str(container["command"]).split()
    exposed: dict[str, Any] = {f"{p['container']}/tcp": {} for p in container["ports"]}
    started = parse_z(container["started_at"])
    config = runtime["Config"]
    config.update(Cmd=args, Hostname=uid[:12], Image=container["image"], ExposedPorts=exposed)
    config["Env"] = [entry for entry in config["Env"] if not entry.startswith("SERVER_NAME=")] + [
        f"SERVER_NAME={container['server_name']}"
    ]
    runtime.update(
        Args=args,
        Created=nanos_z(started + timedelta(seconds=5), int(digest[:8], 16) % 10**9),
        Id=uid,
        Image=digest,
        Name="/" + _ANIMALS[int(digest[8:12], 16) % len(_ANIMALS)].lower() + f"_{digest[12:16]}",
    )
    for key, suffix in (("HostnamePath", "hostname"), ("HostsPath", "hosts")):
        runtime[key] = f"/var/lib/docker/containers/{uid}/{suffix}"
    runtime["ResolvConfPath"] = f"/var/lib/docker/containers/{uid}/resolv.conf"
    network = runtime["NetworkSettings"]
    network["IPAddress"] = container["_docker_ip"]
    network["Ports"] = {key: None for key in exposed}
    runtime["State"].update(
        Pid=1000 + int(digest[16:20], 16) % 60000,
        StartedAt=nanos_z(started + timedelta(seconds=6), int(digest[20:28], 16) % 10**9),
    )
    return runtime


def new_stack_record(
    state: State,
    rng: random.Random,
    *,
    uid: str,
    name: str,
    environment: str,
    moment: datetime,
    cloud: str = "DigitalOcean",
    language: str = "ruby",
    framework: str = "rails",
    git: str | None = None,
    git_branch: str = "master",
) -> StackRecord:
    """Create a stack with the six standard settings and nothing else under it."""
    slug = _slug(name)
    stack = {
        "uid": uid,
        "name": name,
        "git": git or f"http://github.com/cloud66-samples/{slug}.git",
        "git_branch": git_branch,
        "environment": environment,
        "cloud": cloud,
        "fqdn": f"{slug}.{environment[:3] if environment != 'production' else 'prd'}.c66.me",
        "language": language,
        "framework": framework,
        "status": 1,
        "health": 3,
        "last_activity": iso_offset(moment),
        "last_activity_iso": iso_offset(moment),
        "maintenance_mode": False,
        "has_loadbalancer": False,
        "created_at": utc_words(moment),
        "updated_at": utc_words(moment),
        "deploy_directory": f"/var/deploy/{_slug(name, '_')}",
        "cloud_status": "partial",
        "created_at_iso": iso_z(moment),
        "updated_at_iso": iso_z(moment),
        "redeploy_hook": (f"http://hooks.cloud66.com/stacks/redeploy/{hex_id(rng)}/{hex_id(rng)}"),
    }
    record = StackRecord(id=state.allocate("stack"), stack=stack)
    record.settings = _standard_settings(stack)
    return record


def _stack_name_warning() -> str:
    return str(next(s for s in _doc("Settings list") if s["key"] == "stack.name")["warning_text"])


def _standard_settings(stack: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[tuple[str, Any, bool, str]] = [
        ("allowed.web.source", None, False, ""),
        ("asset.prefix", "assets", False, ""),
        ("git.branch", stack["git_branch"], False, ""),
        ("reconfigure.nginx", False, False, ""),
        ("stack.name", _slug(stack["name"]), True, _stack_name_warning()),
        ("maintenance.mode", stack["maintenance_mode"], False, ""),
    ]
    return [
        {"id": setting_id(key), "key": key, "value": value, "readonly": ro, "warning_text": warn}
        for key, value, ro, warn in rows
    ]


# -- the seeding --------------------------------------------------------------------------------


class Seeder:
    """Builds stacks from one random stream; keeps going after the initial seeding."""

    def __init__(self, state: State, seed: int, servers_per_stack: int) -> None:
        self.state = state
        self.rng = random.Random(seed)
        self.servers_per_stack = max(0, servers_per_stack)
        self.names: set[str] = set()
        self.presets = preset_uids()
        self.uids: set[str] = {example_stack_uid(), *self.presets}
        self.generated = 0

    # ids: the example objects keep their ids; everything generated takes the next free one.
    def keep(self, kind: str, obj: dict[str, Any], key: str = "id") -> dict[str, Any]:
        self.state.reserve(kind, int(obj[key]))
        return obj

    def when(self, start: datetime = _EPOCH, days: float = 300) -> datetime:
        return jitter(self.rng, start, days=days)

    # -- global objects ---------------------------------------------------------------------

    def accounts_users_clouds(self) -> None:
        state = self.state
        user = _answer("User List")[0]
        state.users[int(user["id"])] = user
        for user_id, email, login in (
            (19, "alice.developer@example.com", "2014-08-30T09:12:44Z"),
            (20, "ops.bot@example.com", "2014-08-31T22:01:05Z"),
        ):
            created = self.when(datetime(2013, 9, 1, tzinfo=UTC), 200)
            state.users[user_id] = {
                "id": user_id,
                "email": email,
                "primary_account_id": 139,
                "accounts": [
                    {
                        "account": 139,
                        "user": user_id,
                        "role": "member",
                        "can_create_stack": user_id == 19,
                        "can_admin_users": False,
                        "default_permission_level": 40,
                    }
                ],
                "access_rights": [
                    {
                        "user": user_id,
                        "stack": example_stack_uid(),
                        "access_level": {"code": 40, "meaning": "deploy"},
                    }
                ],
                "locked": False,
                "uses_tfa": user_id == 19,
                "timezone": "Europe/London" if user_id == 19 else "UTC",
                "has_valid_phone": user_id == 19,
                "developer_program": False,
                "github_login": user_id == 19,
                "last_login": login,
                "devices": [],
                "created_at": iso_z(created),
                "updated_at": iso_z(created + timedelta(days=90)),
                "cloud_status": "partial",
            }
        account = _answer("Account List")[0]
        state.accounts[int(account["id"])] = account
        state.accounts[140] = {
            "id": 140,
            "owner": "alice.developer@example.com",
            "created_at_iso": "2014-01-07T15:22:41Z",
            "updated_at_iso": "2014-08-12T10:03:19Z",
            "stack_count": 1,
            "used_clouds": ["aws"],
        }
        for cloud in (*_answer("Cloud List"), *_extra_clouds()):
            state.clouds[str(cloud["name"])] = cloud

    # -- stacks ------------------------------------------------------------------------------

    def example_stack(self) -> None:
        state, rng = self.state, self.rng
        stack_id = int(_doc("Stack Action")["resource_id"])  # every stack example says 283
        state.reserve("stack", stack_id)
        record = StackRecord(id=stack_id, stack=_answer("Stack"))
        self.names.add(str(record.stack["name"]))
        record.settings = _answer("Settings list")
        record.server_groups = [self.keep("server_group", g) for g in _answer("Server Group List")]

        caribou = _answer("Server")
        caribou["stack_uid"] = record.uid  # the example names another stack; keep it consistent
        # The "Update Server Setting" example changes this server's settings as resource 445.
        caribou["_id"] = int(_doc("Update Server Setting")["resource_id"])
        state.reserve("server", caribou["_id"])
        caribou["_settings"] = self.server_settings(caribou, _answer("Server Settings list"))
        # The servers the container examples run on, by the names and uids they show.
        listed = _doc("Containers list")[0]
        serving = _doc("Services list")[0]["containers"][0]
        fixed = [caribou]
        for example in (listed, serving):
            fixed.append(
                self.server(
                    record,
                    str(example["server_name"]),
                    128,
                    ["rails", "web", "app"],
                    uid=str(example["server_uid"]),
                )
            )
        record.servers = fixed[: self.servers_per_stack]
        taken = {s["name"] for s in record.servers}
        while len(record.servers) < self.servers_per_stack:
            record.servers.append(
                self.server(record, self.animal(taken), 128, ["rails", "web", "app"])
            )

        record.services = ["web", "worker", "api", "scheduler"]
        by_uid = {s["uid"]: s for s in record.servers}
        moment = parse_z(listed["started_at"])
        if listed["server_uid"] in by_uid:
            container = new_container(rng, by_uid[listed["server_uid"]], "web", moment)
            container.update(copy.deepcopy(listed))
            container["port_list"] = serving["port_list"]
            container["_docker_ip"] = _doc("Container show")["docker_ip"]
            record.containers.append(container)
        if serving["server_uid"] in by_uid:
            server = by_uid[serving["server_uid"]]
            container = new_container(rng, server, "web", parse_z(serving["started_at"]))
            container.update(copy.deepcopy(serving))
            record.containers.append(container)
        # 32 containers with the default three servers: the container list spans two pages.
        self.containers(record, {"web": 5, "worker": 5, "api": 3, "scheduler": 2}, moment)

        env = [self.keep("env_var", e) for e in _answer("Environment Variable list")]
        extra_ids = [*range(4154, 4167), *range(4169, 4200)]
        env += self.env_vars(record, extra_ids, parse_z("2014-08-29T17:21:25Z"))
        record.env_vars = sorted(env, key=lambda e: int(e["id"]))

        record.firewalls = [self.keep("firewall", f) for f in _answer("Firewall rules list")]
        record.firewalls += self.firewalls(record, 9, parse_z("2014-08-29T17:58:23Z"))

        notes = [self.keep("notification", n) for n in _answer("Notifications list")]
        for note in notes:
            note["stack_id"] = record.uid  # the example names another stack; keep it consistent
        record.notifications = notes + self.notifications(
            record, 45, parse_z("2014-05-29T17:29:54Z"), skip=3
        )

        backups = {int(b["id"]): b for b in _answer("Backups list")}
        for backup in backups.values():
            self.keep("backup", backup)
            # The example list answers the documented request: group 15, db_type mysql.
            backup["_group"] = _param("Backups list", "group")
            backup["_files"] = _answer("Backup files")
        record.backups = self.backups(record, range(34, 0, -1), backups)

        record.deployments = self.deployments(
            record, [103, 104, 105, 106], parse_z("2014-08-10T10:00:00Z")
        )
        for older in record.deployments:
            older["is_head"] = older["is_live"] = False
        record.deployments.insert(0, self.keep("deployment", _answer("Deployment")))
        record.actions = self.actions(record, range(1, 10), parse_z("2014-08-20T10:00:00Z"))
        record.actions.insert(0, self.keep("action", _answer("Stack Action list")[0]))
        self.documented_requests(record)
        state.stacks[record.uid] = record

    def documented_requests(self, record: StackRecord) -> None:
        """Make every request the blueprint documents on the example stack succeed.

        The blueprint's parameters name objects its examples do not show, or show under
        another id; tests/samples/FIXES.md explains each choice made here. Nothing here draws
        from the random stream, so the generated data stays what it was.
        """
        state = self.state
        # A path's id answered with an object of another id: the fake answers both ids.
        for name, kind, items in (
            ("Stack Action", "action", record.actions),
            ("Firewall rule", "firewall", record.firewalls),
            ("Notification", "notification", record.notifications),
            ("Backup", "backup", record.backups),
        ):
            named, shown = _param(name, "id"), _doc(name)["id"]
            if named != shown and any(item["id"] == shown for item in items):
                record.aliases.setdefault(kind, {})[named] = shown
                state.claim(kind, named)
        # "Backup file" asks for file tar-aa of that backup; its answer is the URL of tar.
        backup = next((b for b in record.backups if b["id"] == _doc("Backup")["id"]), None)
        url_file = backup_file_url().partition("?")[0].rpartition("/")[2]
        if backup is not None:
            for file in backup["_files"]:
                if file["name"] == url_file and file["id"] != _param("Backup file", "id"):
                    backup["_file_aliases"] = {_param("Backup file", "id"): file["id"]}
        # Servers named by uids no server example has: "Service show" puts its container on
        # 1239b763... and calls that server Cormorant; "Service scale" scales on 123123cf...,
        # which the fake takes for Gazelle, the server of the "Containers list" example.
        by_name = {str(s["name"]): str(s["uid"]) for s in record.servers}
        servers = record.aliases.setdefault("server", {})
        shown_on = _doc("Service show")["containers"][0]
        if shown_on["server_name"] in by_name:
            servers[shown_on["server_uid"]] = by_name[shown_on["server_name"]]
        (scaled,) = json.loads(_param("Service scale", "server_count"))
        gazelle = _doc("Containers list")[0]["server_name"]
        if gazelle in by_name:
            servers[scaled] = by_name[gazelle]
        # "Add Firewall rule" names server group 19 (both ends): the example rules' group 128.
        group = _param("Add Firewall rule", "to_group_id")
        record.aliases["server_group"] = {group: _doc("Firewall rule")["to_group_id"]}
        state.claim("server_group", group)
        # "Container stop" stops a container no example shows: the last one takes its uid.
        if record.containers:
            record.containers[-1]["uid"] = _param("Container stop", "id")
        # "Delete Environment Variable" deletes MY_ENV_1: the last variable a user added.
        added = [e for e in record.env_vars if not e["readonly"] and not e["is_generated"]]
        if added:
            added[-1]["key"] = _param("Delete Environment Variable", "key")
        # "Cancel deployment" cancels deployment 112: the Deployment example, still running
        # since before the others started (it never ends by itself), so that 107 stays the
        # head and the live one.
        running = _answer("Deployment")
        oldest = parse_z(record.deployments[-1]["started_at"]) if record.deployments else _EPOCH
        running.update(
            id=_param("Cancel deployment", "id"),
            started_at=iso_z(oldest - timedelta(hours=1)),
            finished_at=None,
            outcome=None,
            is_head=False,
            is_live=False,
            is_deploying=True,
        )
        state.claim("deployment", running["id"])
        record.deployments.append(running)
        # "Update Server Setting" renames the server whose name setting is read-only.
        renamed = _param("Update Server Setting", "server_id")
        server = next((s for s in record.servers if s["uid"] == renamed), None)
        setting_name = _param("Update Server Setting", "id")
        for row in server["_settings"] if server is not None else ():
            if row["_id"] == setting_name:
                row["_writable"] = True

    def global_aliases(self) -> None:
        """Answer the documented ids of the example user, account and early-edition stack."""
        state = self.state
        for name, kind in (("User", "user"), ("Account", "account")):
            for edition in ("v3", "early"):
                named = _param(name, "id", edition)
                shown = _doc(name)["id"]  # the early edition's account shows no id
                if named != shown:
                    state.aliases.setdefault(kind, {})[named] = shown
        # The early edition shows the example stack under another uid.
        early = _param("Stack", "id", "early")
        if early != example_stack_uid():
            state.aliases.setdefault("stack", {})[early] = example_stack_uid()

    def generated_stack(self, *, name: str | None = None) -> StackRecord:
        state, rng = self.state, self.rng
        index, self.generated = self.generated, self.generated + 1
        uid = self.presets[index] if index < len(self.presets) else self.new_uid()
        cloud, cloud_name, server_type, regions = rng.choice(_STACK_CLOUDS)
        language, framework, group_type, group_name = rng.choice(_FRAMEWORKS)
        created = self.when(_EPOCH, 160)
        record = new_stack_record(
            state,
            rng,
            uid=uid,
            name=name or self.stack_name(),
            environment=rng.choice(_ENVIRONMENTS),
            moment=created,
            cloud=cloud,
            language=language,
            framework=framework,
            git_branch=rng.choice(("master", "master", "main", "develop", "release")),
        )
        record.stack["health"] = rng.choice((3, 3, 3, 3, 2, 1))
        record.stack["status"] = rng.choice((1, 1, 1, 1, 1, 2))
        record.stack["has_loadbalancer"] = rng.random() < 0.3
        record.stack["cloud_status"] = rng.choice(("partial", "partial", "full"))
        record.stack["_cloud"] = cloud_name
        db_type, db_group_name, db_port = rng.choice(_DATABASES)
        app_group: dict[str, Any] = {
            "id": state.allocate("server_group"),
            "name": group_name,
            "type": group_type,
            **_at(created),
        }
        db_group: dict[str, Any] = {
            "id": state.allocate("server_group"),
            "name": db_group_name,
            "type": db_type,
            **_at(created),
        }
        record.server_groups = [app_group, db_group]
        taken: set[str] = set()
        for i in range(self.servers_per_stack):
            is_db = i == self.servers_per_stack - 1 and self.servers_per_stack > 1
            group = db_group if is_db else app_group
            roles = [db_type, "db"] if is_db else [group_type, "web", "app"]
            record.servers.append(
                self.server(
                    record,
                    self.animal(taken),
                    int(group["id"]),
                    roles,
                    server_type=server_type,
                    region=rng.choice(regions),
                    moment=created,
                )
            )
        record.services = ["web", *rng.sample(("worker", "api", "scheduler"), rng.randrange(0, 3))]
        self.containers(record, {name: rng.randrange(1, 3) for name in record.services}, created)
        record.env_vars = self.env_vars(
            record, [state.allocate("env_var") for _ in range(rng.randrange(12, 21))], created
        )
        record.firewalls = self.firewalls(record, rng.randrange(3, 7), created, db_port=db_port)
        record.notifications = self.notifications(record, len(_ALERT_TYPES), created)
        backup_ids = sorted(
            (state.allocate("backup") for _ in range(rng.randrange(2, 9))), reverse=True
        )
        record.backups = self.backups(record, backup_ids, {}, db_types=(db_type,))
        deploy_ids = [state.allocate("deployment") for _ in range(rng.randrange(1, 5))]
        record.deployments = self.deployments(record, deploy_ids, created)
        action_ids = [state.allocate("action") for _ in range(rng.randrange(1, 5))]
        record.actions = self.actions(record, action_ids, created)
        state.stacks[record.uid] = record
        return record

    # -- pieces ------------------------------------------------------------------------------

    def new_uid(self) -> str:
        while True:
            uid = hex_id(self.rng)
            if uid not in self.uids:
                self.uids.add(uid)
                return uid

    def stack_name(self) -> str:
        # About 960 word pairs: past a few collisions, number the names instead.
        name = f"{self.rng.choice(_ADJECTIVES)} {self.rng.choice(_NOUNS)}"
        for attempt in itertools.count(2):
            if name not in self.names:
                self.names.add(name)
                return name
            base = f"{self.rng.choice(_ADJECTIVES)} {self.rng.choice(_NOUNS)}"
            name = base if attempt < 8 else f"{base} {attempt}"
        raise AssertionError("unreachable")

    def animal(self, taken: set[str]) -> str:
        free = [name for name in _ANIMALS[3:] if name not in taken]
        name = self.rng.choice(free) if free else f"Server{len(taken) + 1}"
        taken.add(name)
        return name

    def server(
        self,
        record: StackRecord,
        name: str,
        group_id: int,
        roles: list[str],
        *,
        uid: str | None = None,
        server_type: str = "Cloud (DigitalOcean) ",
        region: str = "ams2",
        moment: datetime | None = None,
    ) -> dict[str, Any]:
        rng = self.rng
        created = self.when(moment or parse_z("2014-08-29T17:21:47Z"), 2)
        address = _ipv4(rng, (146, 104, 188, 178))
        cores = rng.choice((1, 2, 4))
        server: dict[str, Any] = {
            "uid": uid or hex_id(rng),
            "vendor_uid": str(rng.randrange(1_000_000, 9_999_999)),
            "name": name,
            "address": address,
            "distro": "ubuntu",
            "distro_version": "14.04",
            "dns_record": f"{name.lower()}.{record.stack['fqdn']}",
            "user_name": "root",
            "server_type": server_type,
            "server_roles": roles,
            "server_group_id": group_id,
            "stack_uid": record.uid,
            "has_agent": True,
            "params": {
                "availability_zone": region,
                "size": rng.choice(("63", "66", "62")),
                "region": region,
                "ips": [address],
                "was_baselined": True,
                "cached_cores": cores,
                "cached_memory": cores * 1042336972,
                "passenger_version": "4.0.48",
                "passenger_enterprise": False,
                "supports_nginx_realip": True,
                "passenger_pool_max": cores * 4,
            },
            "created_at": iso_z(created),
            "updated_at": iso_z(created + timedelta(minutes=33)),
            "region": region,
            "availability_zone": region,
            "ext_ipv4": address,
            "health_state": 3,
            "int_ipv4": _private_ipv4(rng),
            "int_ipv6": None,
            "ext_ipv6": None,
            "_id": self.state.allocate("server"),
        }
        server["_settings"] = self.server_settings(server, [])
        return server

    def server_settings(
        self, server: dict[str, Any], given: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        rows = given or [
            {
                "key": "server.name",
                "value": server["name"],
                "readonly": True,
                "warning_text": _doc("Server Settings list")[0]["warning_text"],
            }
        ]
        for key, value, warning in _SERVER_SETTINGS:
            rows.append(
                {"key": key, "value": value(server), "readonly": False, "warning_text": warning}
            )
        for row in rows:
            row["_id"] = server_setting_id(str(row["key"]))
        return rows

    def containers(self, record: StackRecord, per_server: dict[str, int], moment: datetime) -> None:
        apps = [s for s in record.servers if "db" not in s["server_roles"]] or record.servers
        for service, count in per_server.items():
            for server in apps:
                for _ in range(count):
                    started = self.when(moment, 30)
                    record.containers.append(new_container(self.rng, server, service, started))

    def env_vars(
        self, record: StackRecord, ids: list[int], moment: datetime
    ) -> list[dict[str, Any]]:
        rng = self.rng
        taken = {e["key"] for e in record.env_vars}
        pool = [(k, ro, True) for k, ro in _STACK_ENV] + [(k, False, False) for k, _ in _USER_ENV]
        password = {k for k, secret in _USER_ENV if secret} | {"POSTGRESQL_PASSWORD"}
        out = []
        extra = 0
        for env_id in ids:
            while True:
                if pool:
                    key, readonly, generated = pool.pop(0)
                else:
                    extra += 1
                    key, readonly, generated = f"APP_SETTING_{extra}", False, False
                if key not in taken:
                    break
            taken.add(key)
            created = self.when(moment, 60)
            value = self.env_value(record, key, rng)
            history = []
            if rng.random() < 0.3:
                old = self.when(created, 30)
                history.append(
                    {"key": rng.randrange(7, 999), "value": f"old-{value[:12]}", **_at(old)}
                )
            out.append(
                {
                    "id": env_id,
                    "key": key,
                    "value": value,
                    "readonly": readonly,
                    **_at(created),
                    "is_password": key in password,
                    "is_generated": generated,
                    "history": history,
                }
            )
            self.state.reserve("env_var", env_id)
        return out

    def env_value(self, record: StackRecord, key: str, rng: random.Random) -> str:
        stack = record.stack
        if key == "STACK_BASE":
            return f"{stack['deploy_directory']}/web_head"
        if key in ("STACK_ENVIRONMENT", "RAILS_ENV", "RACK_ENV"):
            return str(stack["environment"])
        if key.endswith(("_ADDRESS", "_ADDRESS_INT", "_ADDRESSES_INT")):
            return _private_ipv4(rng)
        if key.endswith(("_ADDRESS_EXT", "_ADDRESSES_EXT")):
            return _ipv4(rng, (146, 104))
        if key.endswith("_URL"):
            return (
                f"postgres://{hex_id(rng, 3)}@{_private_ipv4(rng)}:5432/{_slug(stack['name'], '_')}"
            )
        if key.endswith("_DATABASE"):
            return f"{_slug(stack['name'], '_')}_{stack['environment']}"
        if key in ("SMTP_PORT",):
            return "587"
        if key in ("MAX_THREADS", "WEB_CONCURRENCY"):
            return str(rng.choice((2, 4, 5, 8)))
        if key == "LOG_LEVEL":
            return rng.choice(("info", "warn", "debug"))
        if key == "TZ":
            return "UTC"
        if key == "POSTGRESQL_SLAVE_ADDRESSES":
            return ""
        return hex_id(rng, rng.choice((8, 16, 32)))

    def firewalls(
        self, record: StackRecord, count: int, moment: datetime, *, db_port: int = 5432
    ) -> list[dict[str, Any]]:
        rng = self.rng
        groups: list[int | None] = [int(g["id"]) for g in record.server_groups] or [None]
        templates: list[tuple[str | None, int | None, int, str]] = [
            ("0.0.0.0/0", None, 22, "tcp"),
            (None, groups[0], db_port, "tcp"),
            ("0.0.0.0/0", None, 8080, "tcp"),
            (None, groups[0], 6379, "tcp"),
            ("10.0.0.0/8", None, 9200, "tcp"),
            ("0.0.0.0/0", None, 8, "icmp"),
            ("0.0.0.0/0", None, 53, "udp"),
            (None, groups[0], 3306, "tcp"),
            ("192.168.0.0/16", None, 5432, "tcp"),
        ]
        out = []
        for i in range(count):
            from_ip, from_group, port, protocol = templates[i % len(templates)]
            out.append(
                {
                    "id": self.state.allocate("firewall"),
                    "from_ip": from_ip,
                    "from_group_id": from_group,
                    "from_server_id": None,
                    "to_ip": None,
                    "to_group_id": groups[-1],
                    "to_server_id": None,
                    "protocol": protocol,
                    "port": port,
                    "rule_type": "dynamic" if rng.random() < 0.6 else "user",
                    "comments": None,
                    **_at(self.when(moment, 20)),
                }
            )
        return out

    def notifications(
        self, record: StackRecord, count: int, moment: datetime, *, skip: int = 0
    ) -> list[dict[str, Any]]:
        out = []
        users = sorted(self.state.users)
        for i in range(skip, skip + count):
            user_id = users[i // len(_ALERT_TYPES) % len(users)]
            alert = _ALERT_TYPES[i % len(_ALERT_TYPES)]
            channels = ["email"] if i % 5 else ["email", "ios"]
            params: dict[str, str] = {}
            if i % 7 == 3:
                channels = ["slack"]
                params = {
                    "slack_url": "https://hooks.slack.com/services/T000/B000/example",
                    "slack_channel": "#ops",
                }
            out.append(
                {
                    "id": self.state.allocate("notification"),
                    "user_id": user_id,
                    "alert_type": alert,
                    "channels": channels,
                    "stack_id": record.uid,
                    "params": params,
                    **_at(moment),
                }
            )
        return out

    def backups(
        self,
        record: StackRecord,
        ids: Any,
        given: dict[int, dict[str, Any]],
        *,
        db_types: tuple[str, ...] = ("mysql", "postgresql", "redis", "mongodb"),
    ) -> list[dict[str, Any]]:
        rng = self.rng
        db_server = (
            record.servers[-1]["uid"] if record.servers else "e63e859d5ab72b0bcf14321f0ffb013d"
        )
        account_dir = "2aad2bb5a70e621ecf251fbd85af6927"
        stack_dir = hashlib.md5(record.uid.encode(), usedforsecurity=False).hexdigest()
        prefix = f"{account_dir}/backups/{stack_dir}"
        base = parse_z("2014-09-01T19:00:33Z")
        out = []
        for backup_id in ids:
            if backup_id in given:
                out.append(given[backup_id])
                continue
            self.state.reserve("backup", backup_id)
            db_type = db_types[backup_id % len(db_types)]
            group = 11 + ("mysql", "postgresql", "redis", "mongodb").index(db_type)
            moment = (
                base + timedelta(hours=6 * (backup_id - 4))
                if backup_id > 4
                else base - timedelta(minutes=15 * (4 - backup_id))
            )
            database = f"{_slug(record.stack['name'], '_')}_{group}"
            stamp = moment.strftime("%Y.%m.%d.%H.%M.%S")
            size = rng.randrange(10_000, 900_000_000)
            extension = "rdb" if db_type == "redis" else "tar"
            files = [{"id": extension, "name": f"{database}.{extension}"}]
            if size > 500_000_000:
                files = [
                    {"id": f"{extension}-a{c}", "name": f"{database}.{extension}-a{c}"}
                    for c in "abc"
                ]
            out.append(
                {
                    "id": backup_id,
                    "server_uid": db_server,
                    "db_type": db_type,
                    "database_name": database,
                    "file_base": "",
                    "backup_date_iso": iso_z(moment),
                    "backup_status": 0 if rng.random() < 0.9 else 1,
                    "backup_result": "",
                    "restore_status": 0,
                    "restore_result": None,
                    "created_at_iso": iso_z(moment),
                    "updated_at_iso": iso_z(moment),
                    "verify_status": 0,
                    "verify_result": None,
                    "storage_path": f"{prefix}/{db_type}/{database}/{stamp}",
                    "skip_tables": "",
                    "backup_size": size,
                    "_group": group,
                    "_files": files,
                }
            )
        return out

    def deployments(
        self, record: StackRecord, ids: list[int], moment: datetime
    ) -> list[dict[str, Any]]:
        rng = self.rng
        out: list[dict[str, Any]] = []
        started = moment
        for dep_id in sorted(ids):
            self.state.reserve("deployment", dep_id)
            started = self.when(started + timedelta(hours=1), 3)
            git_hash = hex_id(rng, 20)
            failed = rng.random() < 0.15
            out.insert(
                0,
                {
                    "id": dep_id,
                    "triggered_by": rng.choice(
                        (self.state.user_email, "alice.developer@example.com")
                    ),
                    "triggered_via": rng.choice(
                        ({"code": 0, "meaning": "web"}, {"code": 1, "meaning": "api"})
                    ),
                    "started_at": iso_z(started),
                    "finished_at": iso_z(started + timedelta(seconds=rng.randrange(120, 900))),
                    "outcome": dict(DEPLOY_FAILED if failed else DEPLOY_SUCCESS),
                    "git_hash": git_hash,
                    "deploy_session": "".join(
                        rng.choice("abcdefghijkLMNOPQRSTUVWXYZ") for _ in range(10)
                    ),
                    "deploy_type": {"code": 0, "meaning": "build"},
                    "is_head": False,
                    "is_live": False,
                    "reverted": None,
                    "reverted_by": None,
                    "reverted_at": None,
                    "is_deploying": False,
                    "commit_url": commit_url(str(record.stack["git"]), git_hash),
                },
            )
        if out:
            out[0]["is_head"] = True
            live = next((d for d in out if d["outcome"] == DEPLOY_SUCCESS), None)
            if live is not None:
                live["is_live"] = True
        return out

    def actions(self, record: StackRecord, ids: Any, moment: datetime) -> list[dict[str, Any]]:
        rng = self.rng
        out: list[dict[str, Any]] = []
        started = moment
        for action_id in sorted(ids):
            self.state.reserve("action", action_id)
            started = self.when(started + timedelta(hours=2), 2)
            name = rng.choice(("restart", "clear_caches", "maintenance_mode", "env-var-update"))
            out.insert(
                0,
                {
                    "id": action_id,
                    "user": self.state.user_email,
                    "resource_type": "stack",
                    "action": name,
                    "resource_id": str(record.id),
                    "started_via": rng.choice(("api", "web", "toolbelt")),
                    "started_at": iso_z(started),
                    "finished_at": iso_z(started + timedelta(seconds=rng.randrange(2, 60))),
                    "finished_success": True,
                    "finished_message": None,
                },
            )
        return out


def seed_state(state: State, *, seed: int, stacks: int, servers_per_stack: int) -> Seeder:
    """Fill ``state`` with the example objects and ``stacks - 1`` generated stacks.

    Returns the seeder, which can generate more stacks later (:meth:`Seeder.generated_stack`).
    """
    seeder = Seeder(state, seed, servers_per_stack)
    seeder.accounts_users_clouds()
    seeder.global_aliases()
    if stacks > 0:
        seeder.example_stack()
    for _ in range(stacks - 1):
        seeder.generated_stack()
    return seeder


def _extra_clouds() -> list[dict[str, Any]]:
    """Clouds beyond the two of the "Cloud List" example, from the blueprint's size tables."""
    linode_regions = ["Atlanta, GA, USA", "Dallas, TX, USA", "Fremont, CA, USA"]
    linode_regions += ["London, England, UK", "Newark, NJ, USA", "Tokyo, JP"]
    rackspace_regions = [
        ("chicago", "Chicago"),
        ("dallas", "Dallas"),
        ("hong_kong", "Hong Kong"),
        ("london", "London"),
        ("northern_virginia", "Northern Virginia"),
        ("sydney", "Sydney"),
    ]
    rackspace_sizes = ["512MB", "1GB", "2GB", "4GB", "8GB", "15GB", "30GB"]
    return [
        {
            "name": "rackspace",
            "display_name": "Rackspace",
            "regions": [{"id": rid, "name": name} for rid, name in rackspace_regions],
            "server_sizes": [
                {"id": f"{size} Standard Instance", "name": f"{size} Standard Instance"}
                for size in rackspace_sizes
            ],
        },
        {
            "name": "linode",
            "display_name": "Linode",
            "regions": [{"id": name, "name": name} for name in linode_regions],
            "server_sizes": [
                {"id": f"Linode {mb}", "name": f"Linode {mb}"}
                for mb in (1024, 2048, 4096, 8192, 16384, 32768, 49152, 65536, 98304)
            ],
        },
    ]
