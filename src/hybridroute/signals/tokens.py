"""Token counts estimated without a tokenizer (the decision path must stay sub-millisecond)."""

from __future__ import annotations

# English text averages about four characters per token with BPE vocabularies.
CHARS_PER_TOKEN = 4.0


def approx_tokens(text: str) -> int:
    """A cheap, slightly pessimistic token count for budgeting and context-window checks."""
    return int(len(text) / CHARS_PER_TOKEN) + 1
