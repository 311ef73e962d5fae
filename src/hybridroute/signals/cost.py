"""Cost signal: tokens times the tier's prices."""

from __future__ import annotations

from hybridroute.tiers.base import TierInfo


def cost_usd(info: TierInfo, *, prompt_tokens: int, completion_tokens: int) -> float:
    """Dollars for one request on `info`'s tier (prices are per million tokens)."""
    return (
        prompt_tokens * info.price_in_per_m + completion_tokens * info.price_out_per_m
    ) / 1_000_000
