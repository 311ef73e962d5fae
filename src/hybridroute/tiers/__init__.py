"""Tier implementations and the registry that builds them from config.

A new backend kind is one module plus one entry in `BUILDERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hybridroute.config import LlamaCppSettings, OpenAISettings
from hybridroute.signals.tokens import Vocabulary
from hybridroute.tiers.base import Health, HealthStatus, LatencyProfile, Tier, TierInfo


def _info(settings: LlamaCppSettings | OpenAISettings, model: str, context: int) -> TierInfo:
    default_vocabulary: Vocabulary = "small" if isinstance(settings, LlamaCppSettings) else "large"
    return TierInfo(
        name=settings.name,
        location=settings.location,
        trusted=settings.trusted,
        model=model,
        price_in_per_m=settings.price_in_per_m,
        price_out_per_m=settings.price_out_per_m,
        context_window=settings.context_window or context,
        latency=LatencyProfile(
            prefill_tps=settings.latency.prefill_tps,
            decode_tps=settings.latency.decode_tps,
            rtt_ms=settings.latency.rtt_ms,
        ),
        vocabulary=settings.vocabulary or default_vocabulary,
    )


def build_llama_cpp(settings: LlamaCppSettings) -> Tier:
    from hybridroute.tiers.llamacpp import LlamaCppTier, ModelSpec, default_model_path

    path = settings.model_path or default_model_path()
    spec = ModelSpec(
        path=path,
        chat_format=settings.chat_format,
        n_ctx=settings.n_ctx,
        n_threads=settings.n_threads,
        calibrate=settings.calibrate,
        max_queue=settings.max_queue,
    )
    return LlamaCppTier(info=_info(settings, path.stem, settings.n_ctx), model=spec)


def build_openai(settings: OpenAISettings) -> Tier:
    from hybridroute.tiers.openai_compatible import OpenAICompatibleTier, Timeouts

    t = settings.timeouts
    return OpenAICompatibleTier(
        info=_info(settings, settings.model, 8192),
        base_url=settings.base_url,
        api_key=settings.api_key.get_secret_value() if settings.api_key else None,
        timeouts=Timeouts(connect=t.connect, read=t.read, total=t.total),
        max_response_bytes=settings.max_response_bytes,
    )


BUILDERS: dict[str, Callable[[Any], Tier]] = {
    "llama_cpp": build_llama_cpp,
    "openai": build_openai,
}


def build_tier(settings: LlamaCppSettings | OpenAISettings) -> Tier:
    """The tier described by one `tiers:` entry of the config."""
    return BUILDERS[settings.kind](settings)


__all__ = ["Health", "HealthStatus", "LatencyProfile", "Tier", "TierInfo", "build_tier"]
