"""Admission of one chat request: the caller's permissions, `model`, routing headers and the
`hybridroute` body field become a domain `Request` and `RequestContext`.

Routing inputs come from the body field `hybridroute: {...}` or `x-hybridroute-*` headers;
the body wins when both are given. Anything a caller may not do is a 403, never silently
dropped: a client that asked for a tier or mode should learn that it did not get it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from pydantic import ValidationError

from hybridroute.context import Hints, Mode, Quality, RequestContext
from hybridroute.privacy import StructuredDetector
from hybridroute.privacy.checksums import luhn_valid
from hybridroute.privacy.folding import fold
from hybridroute.server.auth import Caller
from hybridroute.server.errors import InvalidRequest, ModelNotFound, PermissionDenied
from hybridroute.server.schemas import ChatCompletionRequest, RoutingOptions
from hybridroute.server.wire import to_request
from hybridroute.types import Request

AUTO = "auto"


@dataclass(frozen=True, slots=True, kw_only=True)
class Intake:
    """What the gateway routes: the request, its context and the tier `model` named."""

    request: Request
    context: RequestContext
    forced_tier: str | None


def admit(
    body: ChatCompletionRequest,
    headers: Mapping[str, str],
    caller: Caller,
    *,
    tiers: Collection[str],
    aliases: Mapping[str, str],
) -> Intake:
    """Check permissions and build the routing inputs for one request."""
    principal = caller.principal
    tier = resolve_model(body.model, tiers=tiers, aliases=aliases)
    if tier is not None:
        if not principal.may_use(tier):
            raise PermissionDenied(f"this API key may not use tier {tier!r}", param="model")
        if not principal.may_force_tier:
            raise PermissionDenied(
                f"this API key may not choose a tier; use model {AUTO!r}", param="model"
            )
    options = _options(body.hybridroute, headers)
    if options.feature and carries_values(options.feature):
        # The feature name is logged in decision records: it must be a name, not data.
        raise InvalidRequest("feature: not a feature name", param="feature")
    mode = Mode(options.mode) if options.mode else None
    if mode is not None and principal.modes is not None and mode not in principal.modes:
        raise PermissionDenied(f"this API key may not use mode {mode.value!r}", param="mode")
    if options.sensitivity and not principal.may_override_sensitivity:
        raise PermissionDenied(
            "setting the sensitivity label needs an API key with may_override_sensitivity",
            param="sensitivity",
        )
    context = RequestContext(
        feature=options.feature,
        budget_ms=options.budget_ms,
        mode=mode,
        min_quality=Quality(options.min_quality) if options.min_quality else None,
        principal=principal,
        hints=Hints(force_tier=tier, sensitivity=options.sensitivity),
        request_id=request_id(headers),
    )
    return Intake(request=to_request(body), context=context, forced_tier=tier)


def resolve_model(model: str, *, tiers: Collection[str], aliases: Mapping[str, str]) -> str | None:
    """None for automatic routing, else the tier `model` names (directly or by alias)."""
    target = aliases.get(model, model)
    if target == AUTO:
        return None
    if target in tiers:
        return target
    raise ModelNotFound(
        # The unknown name is not echoed: clients have put all sorts of text in `model`.
        f"the requested model does not exist; use {AUTO!r} or one of: {', '.join(tiers)}",
        param="model",
    )


def request_id(headers: Mapping[str, str]) -> str:
    """The caller's `x-request-id` when it is a safe token, else a fresh one.

    Safe means the token pattern and no structured value in it: an id such as `536-22-1234`
    would otherwise go into response ids, headers and decision records unscanned.
    """
    given = headers.get("x-request-id", "")
    if _REQUEST_ID.fullmatch(given) and not carries_values(given):
        return given
    return uuid.uuid4().hex


def carries_values(token: str) -> bool:
    """Whether a caller-chosen token holds a structured value (SSN, card, e-mail...); ~10 µs.
    Any Luhn-valid run of 13-19 digits counts: in a token no keyword says "card"
    (`id-4111…`), and a fresh id costs nothing."""
    text = fold(token).text
    if any(luhn_valid(run) for run in _DIGIT_RUN.findall(text)):
        return True
    return bool(_VALUES.detect(text))


def _options(body: RoutingOptions | None, headers: Mapping[str, str]) -> RoutingOptions:
    from_headers = {
        field: headers[name] for name, field in HEADER_FIELDS.items() if name in headers
    }
    if not from_headers:
        return body or RoutingOptions()
    try:
        merged = RoutingOptions.model_validate(
            {**from_headers, **(body.model_dump(exclude_none=True) if body else {})}
        )
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0])
        header = next((n for n, f in HEADER_FIELDS.items() if f == field), field)
        raise InvalidRequest(f"header {header}: invalid value", param=header) from None
    return merged


_REQUEST_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_VALUES = StructuredDetector()
_DIGIT_RUN = re.compile(r"(?<!\d)\d{13,19}(?!\d)")

HEADER_FIELDS = {
    "x-hybridroute-mode": "mode",
    "x-hybridroute-budget-ms": "budget_ms",
    "x-hybridroute-feature": "feature",
    "x-hybridroute-min-quality": "min_quality",
    "x-hybridroute-sensitivity": "sensitivity",
}
