"""What the embedded tier's refusals and failures are to the caller.

A request the tier cannot serve (a required tool call, a schema beyond llama.cpp's grammar
limits, messages its chat template refuses) is `Unsupported`: under routing the next tier of
the plan may serve it, and it says nothing of this tier's health. A prompt too long for the
window is `ContextOverflow`, a malformed request a plain `BadRequest`; anything else out of
llama-cpp-python is the tier's own failure (`BadResponse`), which its breaker counts. No
message carries the request's text: errors name keywords, limits and exception types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hybridroute import errors
from hybridroute.tiers.json_grammar import is_malformed, schema_problem
from hybridroute.types import Request

# Of a chat template's own words for a refusal, kept in the error at most.
TEMPLATE_REASON_CHARS = 120


def check_supported(tier: str, request: Request) -> None:
    """Refuse, before the request queues for the model, what it cannot do: a required tool
    call (it has no tool calling), a JSON schema beyond llama.cpp's grammar limits."""
    choice = request.tool_choice
    if request.tools and choice not in (None, "none", "auto"):
        raise errors.Unsupported(tier, "this tier cannot honour a required tool call")
    problem = schema_problem(schema_of(request.response_format))
    if problem is not None:
        raise schema_refusal(tier, problem)


def schema_refusal(tier: str, problem: str) -> errors.BadRequest:
    """A schema this tier cannot follow is `Unsupported`; a malformed one, which no tier would
    take (`json_grammar.is_malformed`), is the caller's `BadRequest`."""
    if is_malformed(problem):
        return errors.BadRequest(tier, f"response_format: the schema has {problem}")
    return errors.Unsupported(
        tier, f"response_format: more than this tier can follow (the schema's {problem})"
    )


def caught(tier: str, exc: Exception, n_ctx: int, templates: Sequence[str]) -> errors.TierError:
    """What an exception out of llama-cpp-python is to the caller; `templates`: the text of
    every chat template the prompt may have been built with."""
    if refused_by_template(exc):
        return template_refusal(tier, exc, templates)
    if isinstance(exc, ValueError) and str(exc).startswith("Requested tokens ("):
        # llama.cpp's own refusal of a prompt too long for the window.
        return errors.ContextOverflow(
            tier, f"prompt does not fit the context window of {n_ctx} tokens"
        )
    return errors.BadResponse(tier, f"local model failed: {type(exc).__name__}")


def template_refusal(tier: str, exc: Exception, sources: Sequence[str]) -> errors.Unsupported:
    """The chat template's refusal of the request's messages, raised while it rendered.

    Jinja chat templates refuse message shapes their model was not trained on with
    `raise_exception` (Gemma: "System role not supported"; Mistral: roles must alternate),
    a ValueError in llama-cpp-python. The request is valid and another tier may take it:
    `Unsupported`, never a failure of this tier (its breaker). The template's own words are
    kept only when they stand in its text as they are, so none of the request's can be among
    them; else the error's type.
    """
    said = " ".join(str(exc).split())
    if not (0 < len(said) <= TEMPLATE_REASON_CHARS and any(said in source for source in sources)):
        said = type(exc).__name__
    return errors.Unsupported(tier, f"the model's chat template refuses these messages ({said})")


def refused_by_template(exc: BaseException) -> bool:
    """Whether `exc` is a Jinja chat template's own refusal: the ValueError of
    llama-cpp-python's `raise_exception`, called from the template's code (compiled as
    "<template>"). Any other error in a template (an undefined name, a sandbox violation, a
    bug) breaks every request alike: a failure of this tier, which its breaker counts."""
    if not isinstance(exc, ValueError):
        return False
    in_template = False
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        in_template = in_template or code.co_filename == "<template>"
        if in_template and code.co_name == "raise_exception":
            return True
        tb = tb.tb_next
    return False


def schema_of(fmt: Mapping[str, Any] | None) -> Any:
    """The JSON schema of a `json_schema` (OpenAI) or `json_object` + `schema` format."""
    if not fmt:
        return None
    if fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema") or {}
        return (spec.get("schema") or None) if isinstance(spec, Mapping) else None
    return fmt.get("schema") or None
