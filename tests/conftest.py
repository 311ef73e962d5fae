"""Shared fixtures: the real embedded model, a real llama.cpp server, a faulty upstream."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from llama_cpp import Llama

from hybridroute.tiers.base import LatencyProfile, TierInfo
from hybridroute.tiers.llamacpp import LlamaCppTier, ModelSpec, default_model_path
from hybridroute.tiers.openai_compatible import OpenAICompatibleTier
from hybridroute.types import Location
from tests.upstreams import FaultyUpstream, llama_server

# CI (`.ci/run`) replays the same examples every time, so a landing never depends on the
# draw; local runs explore new ones and keep failures in `.hypothesis/`.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def gguf_path() -> Path:
    return default_model_path()


@pytest.fixture(scope="session")
def count_tokens(gguf_path: Path) -> Callable[[str], int]:
    """The embedded model's real token count for a text (its tokenizer alone, no weights)."""
    vocab = Llama(model_path=str(gguf_path), vocab_only=True, verbose=False)
    return lambda text: len(vocab.tokenize(text.encode(), add_bos=False, special=False))


def device_info(name: str = "device", context_window: int = 2048) -> TierInfo:
    return TierInfo(
        name=name,
        location=Location.DEVICE,
        trusted=True,
        model="smollm2",
        context_window=context_window,
        latency=LatencyProfile(prefill_tps=250.0, decode_tps=80.0),
    )


def cloud_tier(base_url: str, model: str = "echo") -> OpenAICompatibleTier:
    """An untrusted public-cloud tier at `base_url` (a loopback upstream); `model` picks the
    `FaultyUpstream`'s behaviour ("echo" repeats the input, "ok" answers "ok")."""
    info = TierInfo(
        name="cloud",
        location=Location.PUBLIC_CLOUD,
        trusted=False,
        model=model,
        price_in_per_m=0.15,
        price_out_per_m=0.6,
        context_window=128000,
        latency=LatencyProfile(prefill_tps=5000, decode_tps=100, rtt_ms=5),
    )
    return OpenAICompatibleTier(info=info, base_url=base_url)


@pytest.fixture(scope="session")
def device_tier(gguf_path: Path) -> Iterator[LlamaCppTier]:
    """One loaded embedded model for the whole session (loading is the slow part)."""
    tier = LlamaCppTier(info=device_info(), model=ModelSpec(path=gguf_path, n_ctx=2048))
    asyncio.run(tier.load())
    yield tier
    asyncio.run(tier.aclose())


@pytest.fixture(scope="session")
def llama_upstream(gguf_path: Path) -> Iterator[str]:
    """A real OpenAI-compatible server (llama_cpp.server) on loopback; yields its /v1 URL."""
    with llama_server(gguf_path) as (base_url, _proc):
        yield base_url


@pytest.fixture(scope="session")
def faulty_upstream() -> Iterator[FaultyUpstream]:
    with FaultyUpstream() as upstream:
        yield upstream
