"""The faster feature code counts exactly what the shipped model was trained on.

Reference values are computed here the slow, obvious way (`str.count`, a per-character
`isdigit`, the case-insensitive tokenizer, the joined bigram string)."""

import math
import re
import sys
import zlib

import numpy as np
import pytest

from hybridroute.capability import features
from hybridroute.capability.keyword_counts import KeywordCounter, hyperscan

# The tokenizer the shipped model was trained with.
REFERENCE_WORD = re.compile(r"[a-z]+|\d+(?:\.\d+)?|[^\sa-z\d]", re.IGNORECASE)
FAMILIES = (("```", "area", "how much", "total", "{\n", "if "), ("sum", "remainder", "=>"))
TEXTS = (
    "",
    "arearea area ```````` how much how muchhow much",
    "remainderemainder sum=>sum total{\n{\nif if if ",
    "\u0130stanbul \u212a \u017fum Straße ﬁne total \ud800 area",  # non-ASCII, a lone surrogate
    "x" * 9000 + " total",
)


@pytest.mark.parametrize("accelerated", [True, False])
@pytest.mark.parametrize("text", TEXTS)
def test_keyword_counts_are_str_count(text: str, accelerated: bool) -> None:
    counter = KeywordCounter(FAMILIES, accelerated=accelerated)
    expected = [sum(text.count(k) for k in family) for family in FAMILIES]
    assert counter.counts(text) == expected


@pytest.mark.skipif(hyperscan is None, reason="no Hyperscan wheel for this platform")
def test_keyword_counts_use_one_scan_where_hyperscan_is_installed() -> None:
    counter = KeywordCounter(FAMILIES)
    counter.counts("total")
    assert counter.accelerated and counter._database is not None


def test_self_overlapping_keywords_are_recognised() -> None:
    counter = KeywordCounter(FAMILIES)
    overlapping = {counter._keywords[i] for i in counter._self_overlapping}
    assert overlapping == {"```", "area", "how much", "remainder"}


def test_keywords_must_be_ascii() -> None:
    with pytest.raises(ValueError, match="ASCII"):
        KeywordCounter((("caf\u00e9",),))


@pytest.mark.parametrize(
    "text", ["Hello World 42 ABC", "Ünïcödé ²³ ١٢٣ ⅷ ǅ", "İi\u0307 \u212a ΣΥΝΟΛΟ", "\x1c\x1fA1"]
)
def test_tokens_digits_and_capitals_match_the_slow_definitions(text: str) -> None:
    assert features.words_of(text) == [w.lower() for w in REFERENCE_WORD.findall(text)]
    assert features._digits_and_uppers(text, text.encode("ascii", "ignore")) == (
        sum(map(str.isdigit, text)),
        sum(map(str.isupper, text)),
    )


def test_every_code_point_splits_into_the_same_tokens() -> None:
    # Each character alone and each next to a letter, so that a class difference shows.
    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    for text in (everything, "a".join(everything)):
        assert features._CASED_WORD.findall(text) == REFERENCE_WORD.findall(text)


def test_hashed_bigrams_equal_hashing_the_joined_string() -> None:
    words = features.words_of("Write a poem about the sea, the sea! Über alles")
    buckets = 97
    expected: dict[int, int] = {}
    previous = "<s>"
    for word in words:
        for gram in (word, f"{previous} {word}"):
            index = zlib.crc32(gram.encode("utf-8")) % buckets
            expected[index] = expected.get(index, 0) + 1
        previous = word
    indices, log_counts = features.hashed_features(words, buckets)
    got = dict(zip(indices.tolist(), log_counts.tolist(), strict=True))
    assert got == {i: pytest.approx(math.log1p(c)) for i, c in expected.items()}


# Features of 8dac8cd (the code the shipped model was trained with), frozen: dense values,
# word count and bucket counts at 97 buckets.
GOLDEN = [
    (
        "Write a Python function that returns the nth Fibonacci number. "
        "How much is 3*4? (A) 12 (B) 7",
        [
            4.532599493153256,
            3.295836866004329,
            0.0,
            0.05434782608695652,
            1.6094379124341003,
            0.6931471805599453,
            1.0986122886681096,
            0.0,
            0.6931471805599453,
            0.06521739130434782,
            0.28846153846153844,
            0.0,
            0.6931471805599453,
            0.0,
            0.6931471805599453,
            0.6931471805599453,
            0.0,
            0.0,
            0.0,
            0.0,
        ],
        26,
        {
            0: 1,
            1: 1,
            3: 1,
            7: 1,
            8: 1,
            10: 1,
            13: 1,
            14: 1,
            21: 1,
            24: 1,
            25: 1,
            26: 1,
            29: 1,
            30: 3,
            34: 1,
            35: 1,
            37: 1,
            38: 1,
            39: 1,
            46: 1,
            53: 1,
            54: 2,
            56: 2,
            58: 1,
            62: 1,
            63: 1,
            64: 1,
            65: 1,
            66: 1,
            67: 1,
            70: 1,
            71: 1,
            73: 1,
            76: 2,
            77: 1,
            79: 2,
            80: 3,
            81: 1,
            85: 1,
            86: 1,
            88: 1,
            93: 2,
            95: 1,
        },
    ),
    (
        "\u0130stanbul'da ΣΟΦΟΣ \u212a \u017fum Straße ²³ area arearea ```py\nx=1;\n```",
        [
            4.127134385045092,
            3.367295829986474,
            1.0986122886681096,
            0.04918032786885246,
            0.6931471805599453,
            0.0,
            1.3862943611198906,
            0.0,
            0.0,
            0.13114754098360656,
            0.18571428571428572,
            0.18032786885245902,
            1.0986122886681096,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
        ],
        28,
        {
            0: 6,
            1: 2,
            3: 1,
            4: 1,
            6: 1,
            8: 1,
            11: 2,
            14: 5,
            17: 1,
            20: 1,
            21: 1,
            28: 2,
            30: 1,
            31: 1,
            32: 1,
            34: 1,
            36: 2,
            39: 1,
            41: 3,
            42: 1,
            45: 1,
            49: 1,
            50: 2,
            52: 1,
            54: 1,
            62: 1,
            63: 1,
            68: 1,
            69: 1,
            70: 1,
            71: 1,
            73: 1,
            74: 2,
            78: 1,
            81: 1,
            85: 1,
            89: 1,
            90: 2,
        },
    ),
    (
        "lone \ud800 surrogate total",
        [
            3.1354942159291497,
            1.6094379124341003,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.475,
            0.045454545454545456,
            0.6931471805599453,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
        ],
        4,
        {4: 1, 33: 1, 40: 1, 54: 1, 57: 1, 67: 1, 81: 1, 87: 1},
    ),
    (
        "Explain the difference between TCP and UDP; then calculate the total. " * 80,
        [
            8.630700432209832,
            6.94812917312041,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.1,
            0.45383580080753705,
            0.0,
            4.74493212836325,
            4.060443010546419,
            0.0,
            0.0,
            0.0,
            0.0,
            4.7535901911063645,
            0.0,
        ],
        1040,
        {
            1: 57,
            3: 57,
            13: 1,
            15: 1,
            19: 114,
            21: 57,
            22: 57,
            25: 57,
            28: 57,
            30: 114,
            33: 57,
            37: 57,
            43: 1,
            46: 57,
            50: 57,
            53: 57,
            60: 57,
            64: 57,
            67: 58,
            69: 57,
            73: 57,
            79: 114,
            82: 57,
            83: 57,
            87: 57,
            92: 57,
        },
    ),
]


@pytest.mark.parametrize(("text", "dense", "words", "buckets"), GOLDEN)
def test_features_equal_those_the_model_was_trained_on(
    text: str, dense: list[float], words: int, buckets: dict[int, int]
) -> None:
    got = features.extract(text, buckets=97)
    assert got.dense.tolist() == dense  # exactly, not approximately
    assert got.words == words
    counts = np.rint(np.expm1(got.hashed_counts)).astype(int).tolist()
    assert dict(zip(got.hashed_indices.tolist(), counts, strict=True)) == buckets
