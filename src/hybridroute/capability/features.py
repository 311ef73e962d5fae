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

from hybridroute.capability.keyword_counts import KeywordCounter

# A token is `[a-z]+|\d+(?:\.\d+)?|[^\sa-z\d]` matched ignoring case, then lower-cased.
# Case-sensitive patterns find the same tokens ~30% faster: this one in lower-cased ASCII,
_LOWER_ASCII_WORD = re.compile(r"[a-z]+|\d+(?:\.\d+)?|[^\sa-z\d]")
# the next one in any text. There the letters that `[a-z]` matches ignoring case are A-Z,
# a-z and four more (capital I with a dot, dotless i, long s, the Kelvin sign); a test checks
# every code point.
_CASED_LETTERS = "a-zA-Z\u0130\u0131\u017f\u212a"
_CASED_WORD = re.compile(rf"[{_CASED_LETTERS}]+|\d+(?:\.\d+)?|[^\s{_CASED_LETTERS}\d]")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
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
_KEYWORD_COUNTER = KeywordCounter((_CODE_MARKERS, *_KEYWORDS.values()))
_ASCII_DIGITS = b"0123456789"
_ASCII_UPPERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_START_CHECKSUM = zlib.crc32(b"<s>")
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
    code_markers, *families = _KEYWORD_COUNTER.counts(lower)
    ascii_part = text.encode("ascii", "ignore")
    digits, uppers = _digits_and_uppers(text, ascii_part)
    values = [
        math.log1p(len(text)),
        math.log1p(len(words)),
        math.log1p(text.count("\n")),
        digits / chars,
        math.log1p(len(_NUMBER.findall(text))),
        math.log1p(len(_MATH_OPERATION.findall(text))),
        math.log1p(code_markers + len(_LINE_END_CODE.findall(text))),
        min(len(_CHOICE.findall(text)), 5) / 5,
        math.log1p(text.count("?")),
        uppers / chars,
        sum(map(len, words)) / word_count / 10,
        (len(text) - len(ascii_part)) / chars,
    ]
    values.extend(math.log1p(count) for count in families)
    return np.asarray(values, dtype=np.float64)


def _digits_and_uppers(text: str, ascii_part: bytes) -> tuple[int, int]:
    """How many characters are digits and upper case (`str.isdigit`, `str.isupper`).

    Among ASCII characters only 0-9 and A-Z qualify, so those are counted in C on the text's
    ASCII characters (`ascii_part`); only the non-ASCII runs are tested one by one."""
    digits = len(ascii_part) - len(ascii_part.translate(None, _ASCII_DIGITS))
    uppers = len(ascii_part) - len(ascii_part.translate(None, _ASCII_UPPERS))
    if len(ascii_part) != len(text):
        for run in _NON_ASCII_RUN.findall(text):
            digits += sum(map(str.isdigit, run))
            uppers += sum(map(str.isupper, run))
    return digits, uppers


def words_of(text: str) -> list[str]:
    """The lower-cased words, numbers and symbols of a text, in order."""
    if text.isascii():  # lower-casing ASCII first changes no token, and is one C call
        return _LOWER_ASCII_WORD.findall(text.lower())
    # Not the whole text: lower-casing may change its length ("İ") or depend on context
    # (a final "Σ"), so each token is lowered on its own, as the model was trained.
    return [w.lower() for w in _CASED_WORD.findall(text)]


def hashed_features(
    words: list[str], buckets: int
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Word unigrams and bigrams hashed into ``buckets``; returns (indices, log counts).

    A bigram is hashed as "previous word": CRC-32 continues from the previous word's
    checksum over " word", which equals the checksum of the joined string and saves
    building it.
    """
    checksums: list[int] = []
    previous = _START_CHECKSUM
    for word in words:
        encoded = word.encode("utf-8", "surrogatepass")
        unigram = zlib.crc32(encoded)
        checksums.append(unigram)
        checksums.append(zlib.crc32(b" " + encoded, previous))
        previous = unigram
    indices, counts = np.unique(np.asarray(checksums, dtype=np.int64) % buckets, return_counts=True)
    return indices, np.log1p(counts.astype(np.float64))


def extract(text: str, *, buckets: int) -> PromptFeatures:
    """All features of one prompt.

    Only the first MAX_ANALYSED_CHARS are read word by word, which bounds the cost of a long
    prompt; its length still counts in full.
    """
    window = text[:MAX_ANALYSED_CHARS]
    words = words_of(window)
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
