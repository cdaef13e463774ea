"""Who is calling: the author of the changes a call makes, from the caller's identity metadata.

The gateway sends the caller's API key id, key name and project in metadata only it may set
(``plugboard.identity``; it strips any such metadata a caller sends). The backends trust it, as they
trust every caller on the trusted network (DESIGN.md); a call without it is an internal caller,
recorded with its peer. The server's edge wrapper (``plugboard.rpc.handlers``) binds each call's author
for the duration of the call (``bind``), and ``current()`` returns it; jobs, reconcilers and commands
run under ``acting_as(system(...))``.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, unquote

from plugboard.identity import IDENTITY_HEADERS, KEY_ID, KEY_NAME, PROJECT

from .model import Author, AuthorKind


_UNKNOWN = Author(AuthorKind.INTERNAL, peer="-")
_current: contextvars.ContextVar[Author] = contextvars.ContextVar("plugboard_history_author", default=_UNKNOWN)


def identity_metadata(key_id: str, key_name: str, project: str) -> tuple[tuple[str, str], ...]:
    """The metadata the gateway adds to a call it forwards for a key (values percent-encoded: ASCII)."""
    return ((KEY_ID, quote(key_id, safe="")), (KEY_NAME, quote(key_name, safe="")),
            (PROJECT, quote(project, safe="")))


def author_from(metadata: Iterable[tuple[str, Any]] | None, peer: str) -> Author:
    """The author of a call with ``metadata`` from ``peer``."""
    found: dict[str, str] = {}
    for key, value in metadata or ():
        if key in IDENTITY_HEADERS and isinstance(value, str):
            found[key] = unquote(value)
    if found.get(KEY_ID):
        return Author(AuthorKind.KEY, key_id=found[KEY_ID], key_name=found.get(KEY_NAME, ""),
                      project=found.get(PROJECT, ""))
    return Author(AuthorKind.INTERNAL, peer=peer or "-")


def current() -> Author:
    """The author of what runs now."""
    return _current.get()


def bind(author: Author) -> contextvars.Token[Author]:
    return _current.set(author)


def unbind(token: contextvars.Token[Author]) -> None:
    try:
        _current.reset(token)
    except ValueError:  # finished in another context (a stream closed by the server): nothing to undo
        pass


@contextmanager
def acting_as(author: Author) -> Iterator[Author]:
    token = _current.set(author)
    try:
        yield author
    finally:
        _current.reset(token)
