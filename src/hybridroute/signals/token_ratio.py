"""Each tier's own token count against our estimate, learned from the usage it reports.

The estimate (`tokens.py`) counts without a tokenizer and leans high on purpose, per
vocabulary (small or large), so it is off for each endpoint in its own way: o200k_base
counts English and code at 0.79-0.92 of the estimate, Chinese at 0.71, Tamil at 0.25 of the
large-vocabulary one (docs/routing.md); another endpoint may count more than estimated.
Every finished request tells: the tier's `usage.prompt_tokens` against the estimate made for
it. The learned factor scales that tier's estimate for its context window, prefill time and
price.

The ratio depends on the script, so ASCII prompts and the others are learned apart (ASCII
is counted the same in every vocabulary and its ratio is steady; the rest mixes scripts and
gets a wider quantile). Only long prompts teach (the chat template's few tokens per message
would dominate a short one), a tier needs a few of them before its factor counts, and the
factor is an upper quantile of what was seen, clamped: an estimate that undercounts is worse
than one that overcounts (a refused context is a failed request), and an upstream that
misreports its usage moves only its own tier's estimate, within bounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from hybridroute.signals.latency import Ewma

# A prompt teaches only from this many estimated tokens up.
MIN_TOKENS = 256
# Observations a tier needs before its factor is used.
MIN_SAMPLES = 5
# The factor stays within these bounds, whatever a tier reports.
LOWEST, HIGHEST = 0.5, 2.0


Script = Literal["ascii", "other"]


def script_of(text: str) -> Script:
    """Which ratio a prompt teaches and uses."""
    return "ascii" if text.isascii() else "other"


@dataclass(slots=True)
class TokenRatios:
    """Per tier and script, the ratio of the tier's reported prompt tokens to our estimate
    (an EWMA of it)."""

    alpha: float = 0.2
    _ratios: dict[tuple[str, Script], Ewma] = field(default_factory=dict)

    def observe(self, tier: str, script: Script, estimated: int, reported: int) -> None:
        """Learn from one finished request: `reported` is the tier's `usage.prompt_tokens`
        for a prompt we estimated at `estimated` tokens in its vocabulary."""
        if estimated < MIN_TOKENS or reported <= 0:
            return
        ratio = min(max(reported / estimated, LOWEST / 2), HIGHEST * 2)
        self._ratios.setdefault((tier, script), Ewma(mean=ratio)).add(ratio, self.alpha)

    def factor(self, tier: str, script: Script) -> float:
        """What `tier`'s estimates are multiplied by: 1.0 until it has taught enough, then
        the learned ratio plus 1.645 standard deviations (about its 95th percentile)."""
        stats = self._ratios.get((tier, script))
        if stats is None or stats.count < MIN_SAMPLES:
            return 1.0
        upper = stats.mean + 1.645 * math.sqrt(stats.var)
        return min(max(upper, LOWEST), HIGHEST)

    def scale(self, tier: str, script: Script, estimated: int) -> int:
        """`estimated` tokens as `tier` would count them, rounded up."""
        factor = self.factor(tier, script)
        return estimated if factor == 1.0 else math.ceil(estimated * factor)
