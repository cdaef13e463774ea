"""Files a Plugboard process keeps on disk are private to its user: directories 0700, files 0600.

Databases hold connectors, instances (secrets encrypted, everything else in clear) and API key
digests; key files hold secrets. Neither the process umask nor the default modes of SQLite (0644,
with its ``-wal`` and ``-shm`` files taking the database file's mode) are relied on:

- ``private_directory``: creates a directory (and missing parents) 0700, or tightens an existing one
  that is Plugboard's own (the data directory);
- ``private_sqlite_file``: creates an empty database file 0600 before SQLite opens it, so the ``-wal``
  and ``-shm`` files SQLite creates next to it are 0600 too; an existing one (and its ``-wal``/``-shm``)
  is tightened to 0600;
- ``write_private_file``: writes a small file (a key) 0600, also when it already existed;
  ``make_private``: tightens an existing file to 0600.
"""

from __future__ import annotations

import os
from pathlib import Path

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_directory(path: str | os.PathLike[str], *, tighten: bool = True) -> None:
    """``path`` exists as a directory; the ones created here are 0700, and so is ``path`` itself
    when ``tighten`` (leave it False for a directory that may be shared, e.g. the parent of a database
    file named by a URL)."""
    path = Path(path)
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIRECTORY_MODE)
        except FileExistsError:  # created meanwhile by another process
            continue
        os.chmod(directory, DIRECTORY_MODE)  # mkdir's mode is filtered by the umask
    if tighten and _mode(path) != DIRECTORY_MODE:
        os.chmod(path, DIRECTORY_MODE)


def private_sqlite_file(path: str | os.PathLike[str]) -> None:
    """The SQLite database file at ``path`` exists and is 0600, with its companions."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        pass
    else:
        os.close(fd)  # an empty file is a valid, empty SQLite database
    for name in (os.fspath(path), *(os.fspath(path) + suffix for suffix in SQLITE_COMPANIONS)):
        make_private(name)


def make_private(path: str | os.PathLike[str]) -> None:
    """The file at ``path``, when there is one, is 0600."""
    try:
        if _mode(path) != FILE_MODE:
            os.chmod(path, FILE_MODE)
    except FileNotFoundError:
        pass


def write_private_file(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 (an existing file is truncated and tightened first)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _mode(path: str | os.PathLike[str]) -> int:
    return os.stat(path).st_mode & 0o777
