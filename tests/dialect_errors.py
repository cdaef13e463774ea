"""An HTTP error body read the same way whichever dialect its route speaks (``gateway.dialects``):
native ``{"error": {"status", "message", ...}}``, commercetools Connect's ErrorResponse
``{"statusCode", "message", "errors": [{"code", ...}]}`` or Patchworks' ``{"message", "errors"?}``."""

from __future__ import annotations

from typing import Any

# commercetools Connect's error codes and Patchworks' HTTP statuses, by the gRPC code behind them.
COMMERCETOOLS_CODES = {"InvalidJsonInput": "INVALID_ARGUMENT", "InvalidInput": "INVALID_ARGUMENT",
                       "InvalidQueryParam": "INVALID_ARGUMENT", "invalid_token": "UNAUTHENTICATED",
                       "insufficient_scope": "PERMISSION_DENIED", "ResourceNotFound": "NOT_FOUND",
                       "ConcurrentModification": "ABORTED", "DuplicateField": "ALREADY_EXISTS"}
PATCHWORKS_STATUSES = {400: "INVALID_ARGUMENT", 422: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED",
                       403: "PERMISSION_DENIED", 404: "NOT_FOUND", 409: "ABORTED", 429: "RESOURCE_EXHAUSTED",
                       503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}


def http_error(status_code: int, body: Any) -> tuple[str, str]:
    """(gRPC status name, all the text of the error) of an error answer's JSON ``body``."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"]["status"], body["error"]["message"]
    if isinstance(body, dict) and "statusCode" in body:
        first = body["errors"][0]
        text = " ".join([body["message"], *(f"{e.get('message', '')} {e.get('detailedErrorMessage', '')}"
                                            for e in body["errors"])])
        return COMMERCETOOLS_CODES.get(first["code"], first["code"]), text
    errors = body.get("errors") or {}
    text = " ".join([body["message"], *(m for messages in errors.values() for m in messages)])
    return PATCHWORKS_STATUSES.get(status_code, str(status_code)), text
