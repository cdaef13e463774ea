"""``plugboard secrets rotate``: re-encrypt every secret under the newest configured key.

Both services seal secrets with the one keyring of ``PLUGBOARD_SECRET_KEYS`` (``plugboard.secrets``): the
instance service its secret variables, the catalog its drafts' repository credentials. An old key can go
only once both are under the newest, so the command rotates both by default (``--service all``), the
instance database first, then the catalog's (``catalog_service.secrets_rotate``, which reads and writes
the catalog's database only); ``--service instance`` or ``--service catalog`` rotates one. A SQLite
catalog database that does not exist (a host running the instance service alone) is skipped.

Rotation, step by step: add a new key at the END of ``PLUGBOARD_SECRET_KEYS`` (or of the key file) and
restart the servers (they now encrypt new values with it and still read the old ones); run
``plugboard secrets rotate``; then remove the old key.

The command works in batches (``--batch-size``, default 200) ordered by variable id, one transaction
each, and prints one progress line per batch. Each row is rewritten with a compare-and-swap on its old
ciphertext, so a value changed by a running server meanwhile is left alone (it is already under the
newest key). Rows already under the newest key are skipped: the command is idempotent and safe to run
again after a crash or an interruption. The fingerprint is recomputed under the newest key, so that
fingerprints stay comparable once the old key is gone. Values are decrypted only in memory; nothing but
counts and key ids is printed. Each batch writes, in its transaction, one change record per instance whose
secrets it re-encrypted (``rotateSecret``, system actor ``secrets-rotate``, fingerprints only). Exit status 1 when some secret could not be decrypted (its key id is not
configured), after rotating all the others.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

import peewee

from plugboard import history
from plugboard.history.storage import HistoryTable
from plugboard.storage.database import open_database
from plugboard.storage.migrations import migrate

from .domain.secrets import Keyring, SecretDecryptionError, SecretKeyError, variable_aad
from .storage.migrations import COMPONENT, MIGRATIONS
from plugboard.secrets import SECRETS_ROTATE, RotationReport

from .domain.changes import INSTANCE
from .storage.models import ChangeRow, InstanceRow, VariableRow, database_proxy

DEFAULT_BATCH_SIZE = 200


def rotate_secrets(db: peewee.Database, keyring: Keyring, *, batch_size: int = DEFAULT_BATCH_SIZE,
                   out: TextIO | None = None) -> RotationReport:
    """Re-encrypt every secret not under ``keyring.primary_key_id`` (see the module docstring)."""
    database_proxy.initialize(db)
    out = out if out is not None else sys.stdout
    report = RotationReport()
    newest = keyring.primary_key_id
    table = HistoryTable(db, ChangeRow)
    after = ""
    batch = 0
    while True:
        rows = list(
            VariableRow.select(VariableRow.id, VariableRow.key, VariableRow.ciphertext, VariableRow.fingerprint,
                               InstanceRow.id.alias("owner_id"), InstanceRow.project.alias("owner_project"))
            .join(InstanceRow, on=(VariableRow.instance == InstanceRow.id))
            .where((VariableRow.secret == True) & VariableRow.ciphertext.is_null(False)  # noqa: E712
                   & (VariableRow.id > after))
            .order_by(VariableRow.id)
            .limit(batch_size)
            .dicts()
        )
        if not rows:
            break
        batch += 1
        rotated_here = 0
        # One record per instance whose secrets this batch re-encrypted (system actor, fingerprints only),
        # in the batch's transaction.
        rotated: dict[tuple[str, str], list[history.Change]] = {}
        with db.atomic():
            for row in rows:
                report.scanned += 1
                blob = bytes(row["ciphertext"])
                try:
                    if Keyring.key_id_of(blob) == newest:
                        report.current += 1
                        continue
                    aad = variable_aad(row["owner_project"], row["owner_id"], row["key"])
                    plain = keyring.decrypt(blob, aad)
                except SecretDecryptionError:
                    report.failed += 1
                    continue
                fresh = keyring.encrypt(plain, aad)
                fingerprint = keyring.fingerprint(plain)
                del plain
                changed = (
                    VariableRow.update(ciphertext=fresh, fingerprint=fingerprint)
                    .where((VariableRow.id == row["id"]) & (VariableRow.ciphertext == blob))
                    .execute()
                )
                if changed == 1:
                    report.rotated += 1
                    rotated_here += 1
                    change = history.secret_change("rotateSecret", row["fingerprint"], fingerprint)
                    rotated.setdefault((row["owner_project"], row["owner_id"]), []).append(history.Change(
                        change.name, {"key": row["key"], **change.previous}, {"key": row["key"], **change.next}))
                else:
                    report.changed_meanwhile += 1
            actor = history.system(SECRETS_ROTATE)
            table.add(*[history.record(INSTANCE, owner, project=project, changes=found, author=actor)
                        for (project, owner), found in rotated.items()])
        after = rows[-1]["id"]
        print(f"batch {batch}: {report.scanned} secret(s) scanned, {rotated_here} re-encrypted in this batch "
              f"({report.rotated} in total) under key {newest}", file=out, flush=True)
    print(
        f"done: {report.scanned} scanned, {report.rotated} re-encrypted, {report.current} already under key "
        f"{newest}, {report.changed_meanwhile} changed meanwhile, {report.failed} could not be decrypted",
        file=out, flush=True,
    )
    return report


def _missing_sqlite(url: str) -> str:
    """The path of a SQLite database URL whose file does not exist; "" otherwise."""
    path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else ""
    return path if path and path != ":memory:" and not Path(path).exists() else ""


def _rotate_database(url: str, component: str, migrations, announce: str, rotate,  # type: ignore[no-untyped-def]
                     batch_size: int) -> int:
    """Open and migrate ``url``, print ``announce``, run ``rotate(db, ...)``; how many could not be decrypted."""
    db = open_database(url)
    try:
        migrate(db, component, migrations)
        print(announce, flush=True)
        return int(rotate(db, batch_size=batch_size).failed)
    finally:
        db.close()


def rotate_catalog(settings, keyring: Keyring, batch_size: int) -> int:  # type: ignore[no-untyped-def]
    """The catalog's repository credentials; how many could not be decrypted."""
    from catalog_service.secrets_rotate import rotate_repository_credentials
    from catalog_service.storage import COMPONENT as CATALOG, MIGRATIONS as CATALOG_MIGRATIONS

    missing = _missing_sqlite(settings.catalog_database_url)
    if missing:
        print(f"no catalog database at {missing}: no repository credentials to re-seal", flush=True)
        return 0
    return _rotate_database(
        settings.catalog_database_url, CATALOG, CATALOG_MIGRATIONS,
        f"re-sealing repository credentials under key {keyring.primary_key_id}",
        lambda db, batch_size: rotate_repository_credentials(db, keyring, batch_size=batch_size), batch_size)


def rotate_instances(settings, keyring: Keyring, batch_size: int) -> int:  # type: ignore[no-untyped-def]
    """The instance service's secret variables; how many could not be decrypted."""
    return _rotate_database(
        settings.instance_database_url, COMPONENT, MIGRATIONS,
        f"re-encrypting secrets under key {keyring.primary_key_id} (configured: {', '.join(keyring.key_ids)})",
        lambda db, batch_size: rotate_secrets(db, keyring, batch_size=batch_size), batch_size)


def cmd_rotate(args: argparse.Namespace) -> int:
    from plugboard.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
        keyring = Keyring.from_settings(settings)
    except (SettingsError, SecretKeyError) as exc:
        print(f"plugboard: bad setting: {exc}", file=sys.stderr, flush=True)
        return 2
    if args.batch_size < 1:
        print("plugboard: --batch-size must be 1 or more", file=sys.stderr, flush=True)
        return 2
    failed, service = 0, getattr(args, "service", "all")
    if service in ("all", "instance"):
        failed += rotate_instances(settings, keyring, args.batch_size)
    if service in ("all", "catalog"):
        failed += rotate_catalog(settings, keyring, args.batch_size)
    if failed:
        print(f"plugboard: {failed} secret(s) are under a key that is not configured; add it back "
              "(before the newest) and run again", file=sys.stderr, flush=True)
        return 1
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``plugboard secrets rotate`` on the ``plugboard`` command's subparsers."""
    parser = subparsers.add_parser("secrets", help="manage the services' encrypted secrets")
    actions = parser.add_subparsers(dest="secrets_command", required=True, metavar="ACTION")
    rotate = actions.add_parser(
        "rotate", help="re-encrypt every secret (instance variables, catalog repository credentials) under "
                       "the newest configured key (idempotent, batched)")
    rotate.add_argument("--service", choices=("all", "instance", "catalog"), default="all",
                        help="whose secrets: both services' (default), or one")
    rotate.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
                        help=f"secrets per transaction (default {DEFAULT_BATCH_SIZE})")
    rotate.set_defaults(func=cmd_rotate)
