"""``plugboard keys create|list|revoke``: manage the gateway's API keys in its database.

The database is ``PLUGBOARD_GATEWAY_DATABASE_URL`` (default SQLite ``<data dir>/gateway.db``), the one
the gateway reads; a key created here works at once, a revoked one stops working within the gateway's
key cache time (10 s). ``create`` prints the key once (stdout, alone on its line, so
``KEY=$(plugboard keys create ...)`` works); only its digest is stored.

Also ``ensure_dev_key``: the key ``plugboard up`` creates for local development (``before_up``).
Registered in the ``plugboard.cli`` entry points (``pyproject.toml``), which ``plugboard.cli`` reads.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gateway import keys as keys_domain
from plugboard.errors import Unauthenticated
from plugboard.storage.files import make_private, write_private_file

DEV_KEY_FILE = "dev-api-key"
DEV_PROJECT = "dev"
DEV_KEY_NAME = "plugboard up development key"


def _store(settings):  # type: ignore[no-untyped-def]
    from gateway.key_store import KeyStore

    return KeyStore.open(settings.gateway_database_url)


def _print_error(message: str) -> None:
    print(f"plugboard: {message}", file=sys.stderr, flush=True)


def cmd_create(args: argparse.Namespace, settings) -> int:  # type: ignore[no-untyped-def]
    from plugboard.errors import InvalidArgument

    scopes = list(keys_domain.SCOPES) if args.all_scopes else [s for group in args.scope for s in group.split(",") if s]
    store = _store(settings)
    try:
        new = store.create(args.project, scopes, args.name)
    except InvalidArgument as exc:
        for violation in exc.violations:
            _print_error(f"{violation.field}: {violation.description}")
        return 2
    finally:
        store.close()
    record = new.record
    print(new.key, flush=True)
    print(f"key {record.key_id} for project {record.project} with scopes {', '.join(record.scopes)}; "
          "this is the only time the key is shown", file=sys.stderr, flush=True)
    return 0


def cmd_list(args: argparse.Namespace, settings) -> int:  # type: ignore[no-untyped-def]
    store = _store(settings)
    try:
        records = store.list(args.project, include_revoked=args.all)
    finally:
        store.close()
    print(f"{'KEY ID':<14} {'PROJECT':<24} {'CREATED':<20} {'STATE':<8} {'NAME':<24} SCOPES")
    for r in records:
        state = "revoked" if r.revoked else "active"
        print(f"{r.key_id:<14} {r.project:<24} {r.created_at:%Y-%m-%d %H:%M:%S} {state:<8} "
              f"{r.name[:24]:<24} {','.join(r.scopes)}")
    return 0


def cmd_revoke(args: argparse.Namespace, settings) -> int:  # type: ignore[no-untyped-def]
    from plugboard.errors import NotFound

    key_id = args.key_id
    if key_id.startswith(keys_domain.PREFIX):  # a whole key pasted: take its id, never echo it
        key_id = key_id[len(keys_domain.PREFIX):len(keys_domain.PREFIX) + keys_domain.KEY_ID_HEX]
    store = _store(settings)
    try:
        record = store.revoke(key_id)
    except NotFound:
        _print_error(f"no API key {key_id}")
        return 1
    finally:
        store.close()
    print(f"revoked key {record.key_id} of project {record.project}", flush=True)
    return 0


def run(args: argparse.Namespace) -> int:
    from plugboard.settings import Settings, SettingsError
    from plugboard.errors import PlugboardError

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        _print_error(f"bad setting: {exc}")
        return 2
    try:
        return int(args.keys_func(args, settings))
    except PlugboardError as exc:  # e.g. the database is unreachable
        _print_error(exc.message)
        return 1
    except ValueError as exc:  # a malformed database URL (never echoed: it may hold a password)
        _print_error(str(exc))
        return 2


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``plugboard keys``."""
    parser = subparsers.add_parser("keys", help="create, list and revoke the gateway's API keys")
    commands = parser.add_subparsers(dest="keys_command", required=True, metavar="ACTION")

    create = commands.add_parser("create", help="create a key and print it once")
    create.add_argument("--project", required=True, help="the project the key acts for")
    create.add_argument("--scope", action="append", default=[], metavar="SCOPE",
                        help=f"a scope (repeat or comma-separate): {', '.join(keys_domain.SCOPES)}")
    create.add_argument("--all-scopes", action="store_true", help="every scope")
    create.add_argument("--name", default="", help="a label shown by list")
    create.set_defaults(func=run, keys_func=cmd_create)

    listing = commands.add_parser("list", help="list keys (never their secrets)")
    listing.add_argument("--project", default="", help="only this project's keys")
    listing.add_argument("--all", action="store_true", help="include revoked keys")
    listing.set_defaults(func=run, keys_func=cmd_list)

    revoke = commands.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id", help="the key id shown by list")
    revoke.set_defaults(func=run, keys_func=cmd_revoke)


def ensure_dev_key(settings, data_dir: Path) -> tuple[str, bool]:  # type: ignore[no-untyped-def]
    """The development key of ``plugboard up``: the one in ``<data dir>/dev-api-key`` while it is still
    valid, else a new one for project ``dev`` with every scope, written there (mode 0600).
    Returns (key, created)."""
    path = data_dir / DEV_KEY_FILE
    store = _store(settings)
    try:
        if path.exists():
            make_private(path)
            existing = path.read_text().strip()
            try:
                key_id, secret = keys_domain.parse(existing)
                keys_domain.verify(store.find(key_id), secret)
                return existing, False
            except Unauthenticated:
                pass
        new = store.create(DEV_PROJECT, list(keys_domain.SCOPES), DEV_KEY_NAME)
    finally:
        store.close()
    write_private_file(path, new.key + "\n")
    return new.key, True


def add_up_options(parser: argparse.ArgumentParser) -> None:
    """``plugboard up --no-dev-key``."""
    parser.add_argument("--no-dev-key", action="store_true",
                        help="do not create the development API key (data dir/dev-api-key)")


def before_up(settings, data_dir: Path, args: argparse.Namespace) -> list[str]:  # type: ignore[no-untyped-def]
    """The development key for ``plugboard up`` (project ``dev``, every scope), as banner lines."""
    if args.no_dev_key:
        return []
    from plugboard.cli import StackNotReady

    try:
        key, _ = ensure_dev_key(settings, data_dir)
    except Exception as exc:  # noqa: BLE001 - reported by the CLI: the stack cannot start
        raise StackNotReady(f"cannot create the development API key: {type(exc).__name__}") from None
    return [f"API key   {key}  (project dev, every scope; also in {data_dir / DEV_KEY_FILE})"]
