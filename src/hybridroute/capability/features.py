"""Prompt features for the capability model: cheap, deterministic, stdlib + numpy only.

Two parts, both computed from the prompt text alone:

* ``dense``: a few dozen named numbers (length, digits, maths and code markers, keyword
  families...). They carry across datasets better than vocabulary does.
* ``hashed``: word unigrams and bigrams hashed (CRC-32, stable across processes, unlike
  ``hash()``) into a fixed number of buckets, as sparse indices.

Training (``training/train_capability.py``) and inference share this module, so the shipped
model always sees the features it was trained on.
"""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

_WORD = re.compile(r"[a-z]+|\d+(?:\.\d+)?|[^\sa-z\d]", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_MATH_OPERATION = re.compile(r"\d\s*[-+*/^=<>]\s*\d|\\frac|\\sqrt|\$[^$]+\$|\\\(|\\\[")
_CODE_MARKERS = (
    "```",
    "def ",
    "return ",
    "class ",
    "import ",
    "#include",
    "function",
    "=>",
    "console.",
    "print(",
    "python",
    "javascript",
    "sql",
    "c++",
    "java ",
    " code",
    "program",
    "();",
    "{\n",
)
_LINE_END_CODE = re.compile(r"[{};][ \t]*$", re.MULTILINE)
_CHOICE = re.compile(r"^\s*\(?[A-E][.)]\s", re.MULTILINE)
_KEYWORDS: dict[str, tuple[str, ...]] = {
    "math": (
        "calculate",
        "compute",
        "how many",
        "how much",
        "solve",
        "equation",
        "probability",
        "percent",
        "total",
        "sum",
        "integer",
        "prime",
        "fraction",
        "average",
        "ratio",
        "area",
        "triangle",
        "polynomial",
        "derivative",
        "integral",
        "remainder",
        "digits",
    ),
    "reasoning": (
        "if ",
        "then",
        "therefore",
        "logic",
        "puzzle",
        "deduce",
        "riddle",
        "implies",
        "assume",
        "suppose",
        "true",
        "false",
        "valid",
        "argument",
        "conclusion",
        "why",
    ),
    "code": ("function", "implement", "algorithm", "bug", "compile", "array", "string", "list"),
    "writing": (
        "write",
        "compose",
        "essay",
        "poem",
        "story",
        "blog",
        "email",
        "draft",
        "letter",
        "rewrite",
        "rephrase",
        "creative",
        "slogan",
        "speech",
        "limerick",
    ),
    "roleplay": ("pretend", "imagine", "act as", "role", "you are", "character", "persona"),
    "extraction": ("extract", "json", "table", "format", "summarize", "summary", "identify"),
    "explain": ("explain", "describe", "what is", "define", "discuss", "compare", "difference"),
    "advice": ("how can i", "tips", "advice", "should i", "recommend", "suggest", "help me"),
}
DENSE_NAMES: tuple[str, ...] = (
    "log_chars",
    "log_words",
    "log_lines",
    "digit_ratio",
    "log_numbers",
    "log_math_operations",
    "log_code_markers",
    "choice_options",
    "log_questions",
    "upper_ratio",
    "mean_word_length",
    "non_ascii_ratio",
    *(f"kw_{family}" for family in _KEYWORDS),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PromptFeatures:
    """Features of one prompt: named dense values and hashed n-gram bucket counts."""

    dense: NDArray[np.float64]
    hashed_indices: NDArray[np.int64]
    hashed_counts: NDArray[np.float64]
    words: int

    @property
    def prompt_tokens(self) -> int:
        """A tokenizer-free estimate of the prompt length in tokens (~0.75 words each)."""
        return math.ceil(self.words * 4 / 3)


def dense_features(text: str, words: list[str]) -> NDArray[np.float64]:
    """The named dense features, in DENSE_NAMES order."""
    chars = max(len(text), 1)
    lower = text.lower()
    word_count = max(len(words), 1)
    values = [
        math.log1p(len(text)),
        math.log1p(len(words)),
        math.log1p(text.count("\n")),
        sum(map(str.isdigit, text)) / chars,
        math.log1p(len(_NUMBER.findall(text))),
        math.log1p(len(_MATH_OPERATION.findall(text))),
        math.log1p(
            sum(lower.count(marker) for marker in _CODE_MARKERS) + len(_LINE_END_CODE.findall(text))
        ),
        min(len(_CHOICE.findall(text)), 5) / 5,
        math.log1p(text.count("?")),
        sum(map(str.isupper, text)) / chars,
        sum(len(w) for w in words) / word_count / 10,
        (len(text) - len(text.encode("ascii", "ignore"))) / chars,
    ]
    values.extend(
        math.log1p(sum(lower.count(keyword) for keyword in keywords))
        for keywords in _KEYWORDS.values()
    )
    return np.asarray(values, dtype=np.float64)


def hashed_features(
    words: list[str], buckets: int
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Word unigrams and bigrams hashed into ``buckets``; returns (indices, log counts)."""
    counts: dict[int, int] = {}
    previous = "<s>"
    for word in words:
        for gram in (word, f"{previous} {word}"):
            index = zlib.crc32(gram.encode("utf-8", "surrogatepass")) % buckets
            counts[index] = counts.get(index, 0) + 1
        previous = word
    indices = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    values = np.log1p(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
    return indices, values


def extract(text: str, *, buckets: int) -> PromptFeatures:
    """All features of one prompt.

    Only the first MAX_ANALYSED_CHARS are read word by word, which bounds the cost of a long
    prompt; its length still counts in full.
    """
    window = text[:MAX_ANALYSED_CHARS]
    words = [w.lower() for w in _WORD.findall(window)]
    dense = dense_features(window, words)
    if len(text) > len(window):
        scale = len(text) / len(window)
        dense[0] = math.log1p(len(text))
        dense[1] = math.log1p(len(words) * scale)
        dense[2] = math.log1p(text.count("\n"))
    indices, counts = hashed_features(words, buckets)
    return PromptFeatures(
        dense=dense,
        hashed_indices=indices,
        hashed_counts=counts,
        words=round(len(words) * len(text) / max(len(window), 1)),
    )


MAX_ANALYSED_CHARS = 4000
