"""The catalog's part of ``plugboard secrets rotate``: re-seal repository credentials under the newest key.

Drafts' repository credentials (``setRepositoryCredentials``) are sealed with the same keyring as the
instance service's secret variables (``plugboard.secrets``), so a key can be removed only once both
services' secrets are under the newest one. This module reads and writes the catalog's own database only.

Drafts with credentials are read in bounded batches ordered by id (keyset: a batch costs what the first
costs). Each draft whose credentials are under an older key is re-sealed in its own short transaction: a
compare-and-swap on the stored column (a creator who set new credentials meanwhile wins: those are
already under the newest key), and, in the same transaction, one change record ``rotateSecret`` by the
system actor ``secrets-rotate`` with the credentials' type and their fingerprints before and after, never
a value. The draft's version does not change (nothing a creator set changed). Credentials already under
the newest key are skipped, so the run is idempotent and safe to repeat after a crash. A progress line
is printed per batch; values are decrypted only in memory.
"""

from __future__ import annotations

import sys
from typing import TextIO

import peewee

from plugboard import history
from plugboard.history.storage import HistoryTable
from plugboard.secrets import SECRETS_ROTATE, Keyring, RotationReport

from .domain.changes import DRAFT
from .domain.credentials import CredentialsUnreadable, CredentialVault
from .storage import codec
from .storage.models import ChangeRow, DraftRow, database_proxy

DEFAULT_BATCH_SIZE = 200


def rotate_repository_credentials(db: peewee.Database, keyring: Keyring, *,
                                  batch_size: int = DEFAULT_BATCH_SIZE,
                                  out: TextIO | None = None) -> RotationReport:
    """Re-seal every draft's repository credentials not under ``keyring.primary_key_id``."""
    database_proxy.initialize(db)
    out = out if out is not None else sys.stdout
    vault = CredentialVault(keyring)
    table = HistoryTable(db, ChangeRow)
    actor = history.system(SECRETS_ROTATE)
    report = RotationReport()
    newest = keyring.primary_key_id
    after, batch = "", 0
    while True:
        rows = list(
            DraftRow.select(DraftRow.id, DraftRow.creator_project, DraftRow.repository_credentials)
            .where(DraftRow.repository_credentials.is_null(False) & (DraftRow.id > after))
            .order_by(DraftRow.id)
            .limit(batch_size)
            .tuples()
        )
        if not rows:
            break
        batch += 1
        rotated_here = 0
        for draft_id, project, column in rows:
            report.scanned += 1
            stored = codec.credentials_from_column(column)
            if stored is None or not vault.needs_rotation(stored):
                report.current += 1
                continue
            try:
                fresh = vault.reseal(draft_id, stored)
            except CredentialsUnreadable:
                report.failed += 1
                continue
            with db.atomic():  # one row, one short transaction, with its record
                changed = DraftRow.update(repository_credentials=codec.credentials_column(fresh)).where(
                    (DraftRow.id == draft_id) & (DraftRow.repository_credentials == column)).execute()
                if changed == 1:
                    change = history.secret_change("rotateSecret", stored.fingerprint, fresh.fingerprint)
                    table.add(history.record(DRAFT, draft_id, project=project, author=actor, changes=[
                        history.Change(change.name, {"type": stored.type, **change.previous},
                                       {"type": fresh.type, **change.next})]))
            if changed == 1:
                report.rotated += 1
                rotated_here += 1
            else:
                report.changed_meanwhile += 1
        after = rows[-1][0]
        print(f"catalog batch {batch}: {report.scanned} draft credential(s) scanned, {rotated_here} re-sealed "
              f"in this batch ({report.rotated} in total) under key {newest}", file=out, flush=True)
    print(f"catalog done: {report.scanned} scanned, {report.rotated} re-sealed, {report.current} already under "
          f"key {newest}, {report.changed_meanwhile} changed meanwhile, {report.failed} could not be decrypted",
          file=out, flush=True)
    return report
