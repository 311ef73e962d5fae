"""Every error the gateway returns, in OpenAI's error format, from ONE table keyed by class.

The lookup walks the exception's MRO (as Starlette does), so a subclass inherits its parent's
status unless it has its own row. Messages come from hybridroute's exceptions, which name
tiers, statuses and rule ids but never prompt text; validation errors name the field only.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from hybridroute import errors
from hybridroute.server import schemas


class GatewayError(Exception):
    """A request the gateway itself refuses (auth, limits, wire format)."""

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class Unauthenticated(GatewayError):
    """No API key, or one that matches no configured key."""


class PermissionDenied(GatewayError):
    """The key may not use the tier, mode or hint it asked for."""


class BudgetExceeded(GatewayError):
    """The key used up its request or token budget for the current period."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InvalidRequest(GatewayError):
    """The body or a routing header is not valid."""


class ModelNotFound(GatewayError):
    """`model` names neither `auto`, a tier nor an alias."""


class BodyTooLarge(GatewayError):
    """The request body exceeds `server.max_body_bytes`."""


class BodyTimeout(GatewayError):
    """The request body did not arrive within `server.body_timeout_s`."""


class ShuttingDown(GatewayError):
    """The request was still running when the graceful-shutdown timeout ran out."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorSpec:
    """How one exception class is shown to clients. `status=None`: the exception's own."""

    status: int | None
    type: str
    code: str | None = None


def spec_for(exc: BaseException) -> ErrorSpec:
    """The table row for the nearest class in `exc`'s MRO."""
    for cls in type(exc).__mro__:
        spec = ERROR_TABLE.get(cls)
        if spec is not None:
            return spec
    return ERROR_TABLE[Exception]


def error_body(exc: BaseException) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status, OpenAI-style `{"error": {...}}` body and extra headers for `exc`."""
    spec = spec_for(exc)
    status: int = spec.status or int(getattr(exc, "status_code", None) or 500)
    headers: dict[str, str] = {}
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, int | float) and math.isfinite(retry_after):
        headers["retry-after"] = str(max(1, round(min(retry_after, errors.MAX_RETRY_AFTER_S))))
    if status == 401:
        headers["www-authenticate"] = "Bearer"
    if isinstance(exc, HTTPException) and exc.headers:
        headers.update(exc.headers)  # e.g. the `Allow` header a 405 must carry
    error = {
        "message": _message(exc, status),
        "type": spec.type,
        "param": _param(exc),
        "code": spec.code,
    }
    return status, {"error": error}, headers


def error_response(exc: BaseException) -> Response:
    status, body, headers = error_body(exc)
    return Response(
        content=json.dumps(body).encode(),
        status_code=status,
        headers=headers,
        media_type="application/json",
    )


async def handle(request: Request, exc: Exception) -> Response:
    """The one exception handler, registered for every class in the table."""
    _count(request.scope, exc)
    return error_response(exc)


async def respond(scope: Scope, receive: Receive, send: Send, exc: BaseException) -> None:
    """Send the error for `exc` from pure ASGI middleware (counted like handled errors)."""
    _count(scope, exc)
    await error_response(exc)(scope, receive, send)


def _count(scope: Scope, exc: BaseException) -> None:
    app = scope.get("app")
    count(getattr(getattr(app, "state", None), "metrics", None), exc)


def count(metrics: Any, exc: BaseException) -> None:
    """Count an error sent to a client (with a status line, or in-band in a stream)."""
    if metrics is not None:
        spec = spec_for(exc)
        metrics.rejected(spec.code or spec.type)


def install(app: FastAPI) -> None:
    """Register `handle` for every class of the table."""
    for cls in ERROR_TABLE:
        app.add_exception_handler(cls, handle)


def _message(exc: BaseException, status: int) -> str:
    if isinstance(exc, RequestValidationError):
        return _validation_message(exc)
    if isinstance(exc, HTTPException):
        return str(exc.detail)
    if isinstance(exc, errors.HybridRouteError | GatewayError):
        return str(exc)
    return "internal server error" if status >= 500 else type(exc).__name__


def _validation_message(exc: RequestValidationError) -> str:
    """Where and what, never the rejected value (it may be prompt text)."""
    problems = exc.errors()
    if not problems:
        return "invalid request body"
    first = problems[0]
    if first.get("type") == "json_invalid":
        return "request body is not valid JSON"
    where = _loc(first.get("loc", ()))
    if not where and first.get("type") == "value_error":
        # Whole-body checks (schemas.check_json_tree): the message names no value.
        return str(first.get("msg", "invalid request body")).removeprefix("Value error, ")
    if not where:
        return "request body must be a JSON object (send Content-Type: application/json)"
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    if first.get("type") == "extra_forbidden":
        hint = _did_you_mean(first.get("loc", ()))
        return f"unrecognized request argument supplied: {where}{hint}{more}"
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"{where}: {message}{more}"


def _param(exc: BaseException) -> str | None:
    if isinstance(exc, GatewayError):
        return exc.param
    if isinstance(exc, RequestValidationError) and exc.errors():
        if exc.errors()[0].get("type") == "json_invalid":
            return None
        return _loc(exc.errors()[0].get("loc", ())) or None
    return None


def _loc(loc: Any) -> str:
    """The field path; a part that is not a wire field name (a dict key, an unknown key the
    caller sent) is shown as `<key>`, since it may be personal data."""
    parts = [p for p in loc if p != "body"]
    return ".".join(
        _safe_part(part, inside_free_form=any(p in FREE_FORM_FIELDS for p in parts[:index]))
        for index, part in enumerate(parts)
    )


def _safe_part(part: Any, *, inside_free_form: bool) -> str:
    # A mistyped field name (`temprature`) is worth showing; any other unknown key is not,
    # since a caller may have put a password or a name there ("hunter2pass": 1), and neither is
    # any key of a free-form object (`metadata`), whatever it looks like.
    if isinstance(part, int) or part in WIRE_FIELDS:
        return str(part)
    if not inside_free_form and _known_or_misspelt(str(part)) is not None:
        return str(part)
    return "<key>"


def _known_or_misspelt(name: str) -> str | None:
    """The field `name` is, or is a close misspelling of; None for any other name."""
    if not _FIELD_LIKE.fullmatch(name):
        return None
    if name in OTHER_KNOWN_FIELDS:
        return name
    close = difflib.get_close_matches(name, _SUGGESTIONS, n=1, cutoff=_MISSPELLING_CUTOFF)
    return close[0] if close else None


def _did_you_mean(loc: Any) -> str:
    unknown = str(loc[-1]) if loc else ""
    field = _known_or_misspelt(unknown) if unknown not in WIRE_FIELDS else None
    if field is None or field == unknown:
        return ""
    return f" (did you mean '{field}'?)"


# Fields whose keys are the caller's own data, not wire field names.
FREE_FORM_FIELDS = frozenset({"metadata", "logit_bias", "parameters", "json_schema"})


def _wire_fields() -> frozenset[str]:
    names: set[str] = set()
    for obj in vars(schemas).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            for field_name, field in obj.model_fields.items():
                names.update({field_name, field.alias or field_name})
    # pydantic's own location tags for unions and typed values.
    return frozenset(names | {"str", "list[ContentPart]", "function", "json_schema", "text"})


WIRE_FIELDS = _wire_fields()
_FIELD_LIKE = re.compile(r"[a-z_][a-z0-9_]{0,39}")
# Parameters the gateway does not take, of OpenAI's API and of common OpenAI-compatible
# servers (vLLM, llama.cpp): named back as they are, never "corrected" to a field we take.
OTHER_KNOWN_FIELDS = frozenset(
    {
        "audio", "modalities", "prediction", "web_search_options", "functions",
        "function_call", "verbosity", "best_of", "echo", "suffix", "prompt", "input",
        "instructions", "top_k", "min_p", "typical_p", "repeat_penalty",
        "repetition_penalty", "grammar", "guided_json", "chat_template_kwargs",
    }
)  # fmt: skip
_SUGGESTIONS = sorted(
    name for name in WIRE_FIELDS | OTHER_KNOWN_FIELDS if _FIELD_LIKE.fullmatch(name)
)
# difflib ratio: "temprature"/"temperature" 0.95, "max_token"/"max_tokens" 0.95,
# "hunter2pass"/any field < 0.6.
_MISSPELLING_CUTOFF = 0.8


ERROR_TABLE: Mapping[type[Exception], ErrorSpec] = MappingProxyType(
    {
        # The caller's request.
        RequestValidationError: ErrorSpec(status=400, type="invalid_request_error"),
        InvalidRequest: ErrorSpec(status=400, type="invalid_request_error"),
        Unauthenticated: ErrorSpec(
            status=401, type="invalid_request_error", code="invalid_api_key"
        ),
        PermissionDenied: ErrorSpec(status=403, type="permission_error", code="permission_denied"),
        ModelNotFound: ErrorSpec(status=404, type="invalid_request_error", code="model_not_found"),
        BodyTimeout: ErrorSpec(status=408, type="invalid_request_error", code="request_timeout"),
        BodyTooLarge: ErrorSpec(status=413, type="invalid_request_error", code="request_too_large"),
        BudgetExceeded: ErrorSpec(status=429, type="insufficient_quota", code="budget_exceeded"),
        HTTPException: ErrorSpec(status=None, type="invalid_request_error"),
        # The gateway is stopping (retry elsewhere or later; the OpenAI SDK retries a 503).
        ShuttingDown: ErrorSpec(status=503, type="api_error", code="server_shutting_down"),
        # The routing policy refused: valid request, but no tier may serve it.
        errors.NoEligibleTier: ErrorSpec(
            status=422, type="invalid_request_error", code="no_eligible_tier"
        ),
        errors.SensitiveDataBlocked: ErrorSpec(
            status=403, type="permission_error", code="sensitive_data_blocked"
        ),
        # A tier failed.
        errors.BadRequest: ErrorSpec(
            status=400, type="invalid_request_error", code="tier_rejected_request"
        ),
        errors.RateLimited: ErrorSpec(
            status=429, type="rate_limit_error", code="tier_rate_limited"
        ),
        errors.TierTimeout: ErrorSpec(status=504, type="api_error", code="tier_timeout"),
        errors.TierUnavailable: ErrorSpec(status=503, type="api_error", code="tier_unavailable"),
        errors.AuthFailed: ErrorSpec(status=502, type="api_error", code="tier_auth_failed"),
        errors.BadResponse: ErrorSpec(status=502, type="api_error", code="tier_bad_response"),
        errors.TierError: ErrorSpec(status=502, type="api_error", code="tier_error"),
        # Ours: never expected; shown without details.
        errors.HybridRouteError: ErrorSpec(status=500, type="server_error", code="internal_error"),
        Exception: ErrorSpec(status=500, type="server_error", code="internal_error"),
    }
)
