"""The `imgtree` command: serve, migrate, users, keys."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import re
import secrets
import shutil
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from imgtree.domain.errors import DomainError
from imgtree.domain.model import Role, Scope, ordered_scopes
from imgtree.entrypoints.settings import Settings, SettingsError

if TYPE_CHECKING:
    from imgtree.entrypoints.containers import Application

_UNSET_ARG: Any = object()


def default_workers() -> int:
    # Uploads are CPU-bound (decode, thumbnail); more processes than ~2x cores only add memory.
    return max(2, min(2 * (os.cpu_count() or 1) + 1, 9))


@contextmanager
def _container(settings: Settings | None = None) -> Iterator[Application]:
    """The production container for one command; its resources (the engine, the S3 client)
    are shut down when the command ends, however it ends."""
    from imgtree.entrypoints.containers import build_container

    container = build_container(settings or Settings.from_env())
    try:
        yield container
    finally:
        container.shutdown_resources()


def cmd_migrate(args: argparse.Namespace) -> int:
    from imgtree.adapters.sql.migrate import upgrade

    settings = Settings.from_env()
    upgrade(settings.database_url)
    print(f"migrated {_redact(settings.database_url)}")
    return 0


def gunicorn_app(args: argparse.Namespace, settings: Settings) -> Any:
    """gunicorn running create_app: one container per worker, built after the fork and
    shut down (engine disposed, S3 client closed) in gunicorn's worker_exit hook.

    Requests are logged by the app, one line each (entrypoints/http/observe.py: the path,
    never the query string or the Referer, where delete links and the app's PUT URLs carry
    their token); gunicorn's own access log stays off and its other lines share the app's
    format (IMGTREE_LOG_FORMAT)."""
    from gunicorn.app.base import BaseApplication
    from gunicorn.glogging import Logger

    from imgtree.entrypoints.containers import flush_views
    from imgtree.entrypoints.logs import gunicorn_logconfig
    from imgtree.entrypoints.metrics import process_exited

    class NoAccessLog(Logger):
        """gunicorn's logger without its access line (the app writes one per request)."""

        def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
            return None

    def child_exit(server: Any, worker: Any) -> None:
        # In the master, once a worker is gone (however it went): its live gauges go too.
        process_exited(worker.pid)

    built: list[Application] = []  # in each worker: the container that worker built

    def worker_exit(server: Any, worker: Any) -> None:
        while built:
            container = built.pop()
            flush_views(container)
            container.shutdown_resources()

    def post_fork(server: Any, worker: Any) -> None:
        from imgtree.entrypoints.heap import warm_heap

        warm_heap()  # upload buffers reused, not page-faulted in afresh (entrypoints/heap.py)

    class ImgtreeServer(BaseApplication):
        def load_config(self) -> None:
            options = {
                "bind": args.bind,
                "workers": args.workers,
                "worker_class": "gthread",
                "threads": args.threads,
                # Large uploads from slow links need more than gunicorn's 30 s default.
                "timeout": 120,
                "graceful_timeout": 30,
                "keepalive": 5,
                "logger_class": NoAccessLog,
                "logconfig_dict": gunicorn_logconfig(
                    settings.log_format, settings.log_level, requests=args.access_log
                ),
                "forwarded_allow_ips": ",".join(str(n) for n in settings.trusted_proxies)
                or "127.0.0.1",
                "proc_name": "imgtree",
                # One control socket per user would collide between two servers on one host.
                "control_socket_disable": True,
                "worker_exit": worker_exit,
                "child_exit": child_exit,
                "post_fork": post_fork,
            }
            for key, value in options.items():
                # Settings newer gunicorns added (control socket) are skipped on older ones.
                if value is not None and key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self) -> Any:
            # Built in each worker after fork: no engine or pool is shared across processes.
            from imgtree.entrypoints.containers import build_container
            from imgtree.entrypoints.http.app import create_app

            container = build_container(settings)
            built.append(container)
            return create_app(container)

    return ImgtreeServer()


def plain_http_warning(bind: str, base_url: str) -> str | None:
    """A warning when the server listens beyond loopback while its public origin is plain
    http: cookies, keys and delete links would cross the network in the clear (ASVS 12.2.1).
    A warning, not a refusal: a TLS-terminating proxy on the same private network is fine,
    and only the operator knows which it is."""
    host = bind.rsplit(":", 1)[0].strip("[]") if ":" in bind else bind
    if base_url.startswith("https://") or host in ("127.0.0.1", "::1", "localhost"):
        return None
    if bind.startswith("unix:"):
        return None
    return (
        f"imgtree: warning: listening on {bind} with IMGTREE_BASE_URL={base_url}: serve the"
        " public origin over https (a TLS proxy in front, and an https:// base URL) -"
        " see README, Production"
    )


def with_shared_unlock_key(settings: Settings) -> Settings:
    """Without IMGTREE_UNLOCK_KEY (or a key to derive it from), one random key for every
    worker this server forks: a visitor's password unlock then works whichever worker answers
    (it ends when the server restarts). Configured keys are left alone."""
    if settings.unlock_key or settings.media_signing_key or settings.address_hash_key:
        return settings
    return attrs.evolve(settings, unlock_key=secrets.token_hex(32))


def cmd_serve(args: argparse.Namespace) -> int:
    from imgtree.adapters.imaging.pool import DecodePool

    settings = Settings.from_env()  # validate before forking anything
    # Before anything imports prometheus_client: every worker then writes its metrics to
    # this server's own directory, and /metrics (in any worker) adds them all up.
    too_late = "prometheus_client" in sys.modules  # e.g. a wrapper that imported the app
    metrics_dir, made_metrics_dir = _metrics_dir()
    master = os.getpid()
    # The server's own lines in the format of every other (gunicorn's config keeps it).
    from imgtree.entrypoints.logs import configure_logging

    configure_logging(settings.log_format, settings.log_level)
    log = logging.getLogger("imgtree.serve")
    if too_late:
        log.warning(
            "prometheus_client was imported before serve started: /metrics counts per worker"
        )
    warning = plain_http_warning(args.bind, settings.base_url)
    if warning:
        log.warning(warning)
    # One decode pool for the host, started before the workers fork: every worker sends its
    # decodes there, so the pool's size bounds the decodes running at once on this host.
    pool = DecodePool.start(settings.process_workers)
    settings = attrs.evolve(settings, process_socket=pool.socket_path)
    settings = with_shared_unlock_key(settings)
    stopping = threading.Event()
    threading.Thread(target=pool.keep_alive, args=(stopping,), daemon=True).start()
    log.warning(  # at warning: said whatever IMGTREE_LOG_LEVEL is
        "imgtree serving on http://%s with %s workers and %s decode processes",
        args.bind,
        args.workers,
        settings.process_workers,
    )
    try:
        gunicorn_app(args, settings).run()
    finally:
        stopping.set()
        pool.stop()
        # A worker's exit unwinds through here too (gunicorn forks inside run()): only the
        # master removes the directory the other workers still write to.
        if made_metrics_dir and os.getpid() == master:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


def _metrics_dir() -> tuple[str, bool]:
    """(this server's metrics directory, whether it was made here). An operator's
    PROMETHEUS_MULTIPROC_DIR loses its value files (`*.db`) at start (stale values would add
    up; nothing else in it is touched), else a fresh temporary directory is made and removed
    when the server stops."""
    path = os.environ.get(METRICS_DIR_ENV, "").strip()
    if path:
        os.makedirs(path, exist_ok=True)
        for stale in Path(path).glob("*.db"):
            stale.unlink(missing_ok=True)
        return path, False
    path = tempfile.mkdtemp(prefix="imgtree-metrics-")
    os.environ[METRICS_DIR_ENV] = path
    return path, True


def cmd_users_create(args: argparse.Namespace) -> int:
    password = args.password
    if password is None:
        if not sys.stdin.isatty():
            print("imgtree: --password is required when stdin is not a terminal", file=sys.stderr)
            return 2
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat password: "):
            print("imgtree: passwords do not match", file=sys.stderr)
            return 2
    with _container() as container:
        user = container.use_cases.create_user()(
            args.email, password, role=Role.ADMIN if args.admin else Role.USER
        )
    print(f"created user {user.id} {user.email} role={user.role.value}")
    return 0


def _size(n: int | None) -> str:
    return "unlimited" if n is None else f"{n}"


def cmd_users_list(args: argparse.Namespace) -> int:
    with _container() as container:
        uow = container.adapters.uow_factory()
        page = 1
        while True:
            with uow() as u:
                users = u.users.search(args.query or "", offset=(page - 1) * 100, limit=100)
            for user in users:
                print(
                    f"{user.id}  {user.email}  role={user.role.value}  "
                    f"active={'true' if user.active else 'false'}  used={user.used_bytes}  "
                    f"quota={_size(user.quota_bytes)}"
                )
            if len(users) < 100:
                break
            page += 1
    return 0


def _parse_bool_arg(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    raise argparse.ArgumentTypeError("expected true or false")


def _parse_quota_arg(value: str) -> int | None:
    if value.strip().lower() in ("unlimited", "none"):
        return None
    try:
        quota = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number of bytes or 'unlimited'") from None
    if quota < 0:
        raise argparse.ArgumentTypeError("quota must be >= 0")
    return quota


def cmd_users_set(args: argparse.Namespace) -> int:
    from imgtree.domain.commands import UNSET, UserChanges
    from imgtree.domain.errors import NothingToChange
    from imgtree.domain.model import Role

    with _container() as container:
        user = _user_by_email(container, args.email)
        changes = UserChanges(
            role=UNSET if args.role is None else Role(args.role),
            active=UNSET if args.active is None else args.active,
            quota_bytes=UNSET if args.quota is _UNSET_ARG else args.quota,
        )
        try:
            # The command line is the operator: trusted (actor None), and audited as such.
            updated = container.use_cases.admin().update_user(None, user.id, changes)
        except NothingToChange:
            raise DomainError("Nothing to change: give --role, --active or --quota") from None
    print(
        f"updated {updated.email}: role={updated.role.value} "
        f"active={'true' if updated.active else 'false'} quota={_size(updated.quota_bytes)}"
    )
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    import json

    from imgtree.entrypoints.http.admin.resources import stats_body

    with _container() as container:
        # Stats are for admins; the command line runs as the operator.
        stats = container.use_cases.admin().stats(_operator())
    body = stats_body(stats)
    body.pop("success", None)
    print(json.dumps(body, indent=2))
    return 0


def _operator() -> Any:
    """A stand-in admin for read-only operator commands run from the machine itself."""
    from datetime import UTC, datetime

    from imgtree.domain.model import Role, User

    return User(
        id=uuid.UUID(int=0),
        email="operator@localhost",
        created_at=datetime.now(UTC),
        role=Role.ADMIN,
    )


def _user_by_email(container: Application, email: str) -> Any:
    from imgtree.domain.model import normalise_email

    with container.adapters.uow_factory()() as uow:
        user = uow.users.get_by_email(normalise_email(email))
    if user is None:
        raise DomainError(f"No user with email {email}")
    return user


def _positive_days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("DAYS must be a whole number") from None
    if not 1 <= days <= 36_500:
        raise argparse.ArgumentTypeError("DAYS must be from 1 to 36500")
    return days


def _key_summary(key: Any) -> str:
    scopes = ",".join(ordered_scopes(key.scopes))
    expires = key.expires_at.isoformat() if key.expires_at else "never"
    return f"scopes={scopes}  expires={expires}"


def cmd_keys_create(args: argparse.Namespace) -> int:
    with _container() as container:
        user = _user_by_email(container, args.email)
        expires_at = None
        if args.expires_in is not None:
            expires_at = container.adapters.clock().now() + timedelta(days=args.expires_in)
        created = container.use_cases.create_api_key()(
            user.id, args.name, scopes=args.scope, expires_at=expires_at
        )
    print(
        f"created key {created.key.id} ({created.key.name}) for {user.email}"
        f" [{_key_summary(created.key)}]; shown once:"
    )
    print(created.secret)
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    with _container() as container:
        user = _user_by_email(container, args.email)
        keys = container.use_cases.list_api_keys()(user.id)
    for key in keys:
        state = "active" if key.active else "revoked"
        used = key.last_used_at.isoformat() if key.last_used_at else "never"
        print(
            f"{key.id}  imgt_{key.prefix}  {state:8}  uploads={key.upload_count}  "
            f"last_used={used}  {_key_summary(key)}  {key.name}"
        )
    if not keys:
        print("no keys", file=sys.stderr)
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    try:
        key_id = uuid.UUID(args.key_id)
    except ValueError:
        raise DomainError("KEY_ID must be a key's UUID (see `imgtree keys list`)") from None
    with _container() as container:
        key = container.use_cases.revoke_api_key()(key_id)
    print(f"revoked key {key.id} ({key.name})")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    retention = settings.purge_retention_seconds if args.retention is None else args.retention
    grace = settings.purge_grace_seconds if args.grace is None else args.grace
    with _container(settings) as container:
        purge = container.use_cases.purge()
        report = purge(retention_seconds=retention, orphan_grace_seconds=grace)
    print(
        f"purged: {report.expired_uploads} expired uploads, {report.purged_images} deleted"
        f" images ({report.expired_images} of them expired), {report.orphan_blobs} orphan blobs"
    )
    return 0


def cmd_backfill_placeholders(args: argparse.Namespace) -> int:
    if args.batch < 1:
        raise DomainError("--batch must be a positive number of images")
    with _container() as container:
        report = container.use_cases.backfill_placeholders()(batch=args.batch)
    print(
        f"placeholders: {report.filled} images filled, {report.empty} with no visible pixel,"
        f" {report.failed} whose thumbnail is missing or unreadable"
    )
    return 0


def cmd_storage_init(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    with _container(settings) as container:
        ensure = getattr(container.adapters.storage(), "ensure_bucket", None)
        if ensure is None:
            settings.media_dir.mkdir(parents=True, exist_ok=True)
            print(f"local storage ready at {settings.media_dir}")
            return 0
        created = ensure()
    print(f"bucket {settings.s3_bucket} {'created' if created else 'exists'}")
    return 0


_SIGNABLE = re.compile(r"^([1-9][0-9]{0,3})x([1-9][0-9]{0,3})/[a-z0-9]{4,32}\.[a-z]{3,4}$")


def cmd_sign_url(args: argparse.Namespace) -> int:
    """Print the signed media path of `{W}x{H}/{slug}.{ext}` (a leading /media/ is allowed)."""
    from imgtree.domain.policies import MAX_SIGNED_SIDE
    from imgtree.domain.use_cases.renditions import sign_media_path

    key = Settings.from_env().media_signing_key
    if key is None:
        raise SettingsError("IMGTREE_MEDIA_SIGNING_KEY is not set: signed sizes are off")
    path = str(args.path).removeprefix("/").removeprefix("media/")
    match = _SIGNABLE.match(path)
    if match is None or max(int(match.group(1)), int(match.group(2))) > MAX_SIGNED_SIDE:
        print(
            f"imgtree: expected W x H/slug.ext, e.g. 800x600/abcd1234.webp, with W and H"
            f" from 1 to {MAX_SIGNED_SIDE}; got {args.path!r}",
            file=sys.stderr,
        )
        return 2
    print(f"/media/signed/{sign_media_path(key.encode(), path)}/{path}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from imgtree.adapters.backup import BackupError, export_snapshot

    settings = Settings.from_env()
    with _container(settings) as container:
        try:
            report = export_snapshot(
                container.adapters.engine(),
                container.adapters.storage(),
                Path(args.directory),
                source={"storage": settings.storage},
            )
        except BackupError as exc:
            print(f"imgtree: export failed: {exc}", file=sys.stderr)
            return 1
    rows = sum(report.rows.values())
    print(
        f"exported {rows} rows ({', '.join(f'{k}={v}' for k, v in report.rows.items())})"
        f" and {report.blobs} blobs ({report.blob_bytes} bytes) to {report.directory}"
    )
    for missing in report.missing_blobs:
        print(
            f"imgtree: note: {missing['key']} of deleted image {missing['image_id']} was"
            " already gone from storage (recorded in the manifest)",
            file=sys.stderr,
        )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from imgtree.adapters.backup import BackupError, import_snapshot

    settings = Settings.from_env()
    with _container(settings) as container:
        try:
            report = import_snapshot(
                container.adapters.engine(), container.adapters.storage(), Path(args.directory)
            )
        except BackupError as exc:
            print(f"imgtree: import refused: {exc}", file=sys.stderr)
            return 1
    rows = sum(report.rows.values())
    print(
        f"imported {rows} rows ({', '.join(f'{k}={v}' for k, v in report.rows.items())})"
        f" and {report.blobs} blobs ({report.blob_bytes} bytes)"
        f" into {_redact(settings.database_url)} + {settings.storage} storage"
    )
    return 0


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="imgtree", description="imgtree image host")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP server (gunicorn)")
    serve.add_argument("--bind", default=os.environ.get("IMGTREE_BIND", "127.0.0.1:8000"))
    serve.add_argument(
        "--workers", type=int, default=int(os.environ.get("IMGTREE_WORKERS", default_workers()))
    )
    serve.add_argument("--threads", type=int, default=int(os.environ.get("IMGTREE_THREADS", 4)))
    serve.add_argument("--no-access-log", dest="access_log", action="store_false")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="create or upgrade the database schema").set_defaults(
        func=cmd_migrate, needs_schema=False
    )

    users = sub.add_parser("users", help="manage users").add_subparsers(
        dest="action", required=True
    )
    create = users.add_parser("create", help="create a user")
    create.add_argument("email")
    create.add_argument("--password", help="prompted for when omitted")
    create.add_argument("--admin", action="store_true", help="give the admin role")
    create.set_defaults(func=cmd_users_create)

    ul = users.add_parser("list", help="list users with usage and quota")
    ul.add_argument("--query", "-q", help="filter by email or name")
    ul.set_defaults(func=cmd_users_list)
    us = users.add_parser("set", help="change a user's role, state or quota (audited)")
    us.add_argument("--email", required=True)
    us.add_argument("--role", choices=["user", "admin"])
    us.add_argument("--active", type=_parse_bool_arg, metavar="true|false")
    us.add_argument("--quota", type=_parse_quota_arg, default=_UNSET_ARG, metavar="BYTES|unlimited")
    us.set_defaults(func=cmd_users_set)

    sub.add_parser("stats", help="instance statistics (JSON)").set_defaults(func=cmd_stats)

    keys = sub.add_parser("keys", help="manage API keys").add_subparsers(
        dest="action", required=True
    )
    kc = keys.add_parser("create", help="create a key; prints the secret on the last line")
    kc.add_argument("--email", required=True)
    kc.add_argument("--name", required=True)
    kc.add_argument(
        "--scope",
        action="append",
        choices=[s.value for s in Scope],
        help="a scope the key gets (repeatable; default: every scope the account allows)",
    )
    kc.add_argument(
        "--expires-in", type=_positive_days, metavar="DAYS", help="expire DAYS days from now"
    )
    kc.set_defaults(func=cmd_keys_create)
    kl = keys.add_parser("list", help="list a user's keys (metadata only)")
    kl.add_argument("--email", required=True)
    kl.set_defaults(func=cmd_keys_list)
    kr = keys.add_parser("revoke", help="revoke a key by id")
    kr.add_argument("key_id")
    kr.set_defaults(func=cmd_keys_revoke)

    purge = sub.add_parser(
        "purge", help="remove expired uploads, deleted images' blobs and orphan blobs"
    )
    purge.add_argument(
        "--retention", type=int, help="seconds deleted images keep their blobs (default from env)"
    )
    purge.add_argument("--grace", type=int, help="minimum age in seconds of an orphan blob")
    purge.set_defaults(func=cmd_purge)

    backfill = sub.add_parser(
        "backfill-placeholders",
        help="give images uploaded before placeholders their BlurHash and dominant colour,"
        " from their stored thumbnails",
    )
    backfill.add_argument("--batch", type=int, default=200, help="images per batch (200)")
    backfill.set_defaults(func=cmd_backfill_placeholders)

    storage = sub.add_parser("storage", help="storage backend chores").add_subparsers(
        dest="action", required=True
    )
    storage.add_parser("init", help="create the bucket (S3) or media directory").set_defaults(
        func=cmd_storage_init, needs_schema=False
    )
    sign = sub.add_parser(
        "sign-url",
        help="print the signed path of an image at an arbitrary size (IMGTREE_MEDIA_SIGNING_KEY)",
    )
    sign.add_argument("path", help="{W}x{H}/{slug}.{ext}, e.g. 800x600/abcd1234.webp")
    sign.set_defaults(func=cmd_sign_url, needs_schema=False)

    export = sub.add_parser(
        "export",
        help="write a consistent snapshot (rows as JSON lines, blobs, checksummed manifest)"
        " to DIR while the server runs (docs/backups.md)",
    )
    export.add_argument("directory", metavar="DIR", help="a new or empty directory")
    export.set_defaults(func=cmd_export)
    imp = sub.add_parser(
        "import",
        help="restore an export into this (migrated, empty) deployment (docs/backups.md)",
    )
    imp.add_argument("directory", metavar="DIR", help="a directory written by `imgtree export`")
    imp.set_defaults(func=cmd_import)

    from imgtree.entrypoints.client_cli import add_client_commands

    add_client_commands(sub)  # upload, login: the HTTP client of any imgtree server
    return parser


def _schema_problem() -> str | None:
    from imgtree.adapters.sql.migrate import schema_problem

    return schema_problem(Settings.from_env().database_url)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "needs_schema", True):
            # Before any command that reads or writes the database: a clear sentence,
            # not an SQL traceback, when it was never migrated (or is behind this release).
            problem = _schema_problem()
            if problem is not None:
                advice = (
                    "" if problem.startswith("cannot reach") else ': run "imgtree migrate" first'
                )
                print(f"imgtree: {problem}{advice}", file=sys.stderr)
                return 1
        return int(args.func(args))
    except SettingsError as exc:
        print(f"imgtree: configuration error: {exc}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(f"imgtree: {exc.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
