"""Per-token confidence from a llama.cpp logits processor (no `logits_all` needed).

llama.cpp hands each step's full logits to the processor before sampling. We record the
entropy of that distribution and keep the row, so that at the next step, when the sampled
token has become the last input id, its exact log-probability can be read off.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from hybridroute.types import TokenStat


@dataclass(slots=True)
class TokenStatsRecorder:
    """A llama-cpp-python logits processor that observes, never changes, the logits."""

    greedy: bool = False
    prompt_tokens: int | None = None
    _entropies: list[float] = field(default_factory=list)
    _logprobs: list[float | None] = field(default_factory=list)
    _prev: npt.NDArray[np.float32] | None = None
    _prev_lse: float = 0.0

    def __call__(
        self, input_ids: npt.NDArray[np.intc], logits: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float32]:
        if self.prompt_tokens is None:
            self.prompt_tokens = len(input_ids)
        elif self._prev is not None:
            chosen = int(input_ids[-1])
            self._logprobs.append(float(self._prev[chosen]) - self._prev_lse)
        top = float(logits.max())
        shifted = logits.astype(np.float64) - top
        weights = np.exp(shifted)
        total = float(weights.sum())
        lse = top + float(np.log(total))
        # H = -sum p log p, with log p = shifted - log(total)
        entropy = float(np.log(total) - (weights * shifted).sum() / total)
        self._entropies.append(max(entropy, 0.0))
        self._prev = logits.copy()
        self._prev_lse = lse
        return logits

    @property
    def steps(self) -> int:
        return len(self._entropies)

    def stats(self) -> tuple[TokenStat, ...]:
        """One stat per sampled token; the last logprob is exact only under greedy decoding."""
        logprobs = list(self._logprobs)
        if len(logprobs) < len(self._entropies) and self._prev is not None:
            logprobs.append(float(self._prev.max()) - self._prev_lse if self.greedy else None)
        return tuple(
            TokenStat(logprob=lp, entropy=h)
            for lp, h in zip(logprobs, self._entropies, strict=True)
        )
