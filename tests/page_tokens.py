"""Tampered page tokens, for the paging tests of every list RPC (``plugboard.storage.paging``).

``tampered(real, tokens)`` takes a token a server issued and the server's signer and returns
(label, token) pairs that must each be refused with INVALID_ARGUMENT on ``page_token``: unsigned or
re-signed by another key (what an outsider can make), and correctly signed tokens whose content does
not fit the list (what only a key holder, or a bug, could make): offsets out of range, values of the
wrong type for their column, NUL characters, nested lists, missing or extra values, other parameters.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import grpc

from plugboard.storage.paging import PageTokens
from tests.rich import expect_error, fields


def content(token: str) -> dict:
    """The JSON content of a token (its part before the signature)."""
    body = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def _unsigned(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def tampered(real: str, tokens: PageTokens) -> list[tuple[str, str]]:
    original = content(real)
    values = original["v"]
    signature = real.split(".")[1]
    cases: list[tuple[str, str]] = [
        ("garbage", "garbage!"),
        ("unsigned, the old format", _unsigned(original)),
        ("altered offset, old signature", _unsigned({**original, "o": 2**31}) + "." + signature),
        ("signed by another key", PageTokens.ephemeral().sign(original)),
        ("two dots", real + ".x"),
    ]
    signed = {
        "offset 2^31": {**original, "o": 2**31},
        "offset 2^40": {**original, "o": 2**40},
        "offset 2^70": {**original, "o": 2**70},
        "negative offset": {**original, "o": -1},
        "float offset": {**original, "o": 1.5},
        "boolean offset": {**original, "o": True},
        "other parameters": {**original, "q": "0" * 16},
        "one value missing": {**original, "v": values[:-1]},
        "one value too many": {**original, "v": values + ["x"]},
        "values not a list": {**original, "v": {"a": 1}},
        "nested lists": {**original, "v": [[[["x"]]]] * len(values)},
    }
    for position in range(len(values)):
        for label, wrong in (("float", 1.5), ("boolean", True), ("integer", 2**40), ("huge integer", 2**70),
                             ("malformed date", {"t": "2024-13-45T99:00:00"}), ("date text", "2024-01-01"),
                             ("NUL", "a\x00b"), ("too long", "x" * 300), ("null", None), ("nested list", [[1]])):
            if isinstance(values[position], str) and label == "date text":
                continue  # a text column takes any text
            changed = list(values)
            changed[position] = wrong
            signed[f"{label} as value {position}"] = {**original, "v": changed}
    cases += [(f"signed, {label}", tokens.sign(data)) for label, data in signed.items()]
    return cases


def assert_all_refused(real: str, tokens: PageTokens, call: Callable[[str], object]) -> None:
    """Every tampered form of ``real`` is INVALID_ARGUMENT with a violation on page_token."""
    for label, token in tampered(real, tokens):
        try:
            error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: call(token))
        except AssertionError as exc:
            raise AssertionError(f"{label}: {exc}") from None
        assert fields(error) == {"page_token"}, label
