"""Routers the harness can evaluate, by name: each maps a prompt to a cloud score.

A higher cloud score means "more in need of the cloud tier". Baselines that need the answers
(oracle) are computed by the harness itself, not here.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from hybridroute.capability import CapabilityScorer, CapabilitySettings

CloudScorer = Callable[[str], float]


def capability_router(model_path: Path | None = None) -> CloudScorer:
    """The shipped capability signal (learned model, no rules): 1 - local_ok.

    The model is loaded here, so a bad ``model_path`` fails before any prompt is scored.
    """
    scorer = CapabilityScorer(CapabilitySettings(model_path=model_path))
    scorer.model()
    return scorer.cloud_score


def length_router(model_path: Path | None = None) -> CloudScorer:
    """Longer prompts go to the cloud first (the data README's length baseline)."""
    return lambda prompt: float(len(prompt))


def random_router(model_path: Path | None = None) -> CloudScorer:
    """Uniform random scores, seeded so runs repeat (RouteLLM seeds 0 as well)."""
    rng = random.Random(0)
    return lambda prompt: rng.random()


ROUTERS: dict[str, Callable[[Path | None], CloudScorer]] = {
    "capability": capability_router,
    "length": length_router,
    "random": random_router,
}


def build_router(name: str, model_path: Path | None = None) -> CloudScorer:
    """Look a router up by name; raises KeyError listing the known names."""
    try:
        factory = ROUTERS[name]
    except KeyError:
        raise KeyError(f"unknown router {name!r}; known: {', '.join(sorted(ROUTERS))}") from None
    return factory(model_path)
