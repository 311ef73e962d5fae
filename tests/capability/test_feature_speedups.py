"""The faster feature code counts exactly what the shipped model was trained on.

Reference values are computed here the slow, obvious way (`str.count`, a per-character
`isdigit`, the case-insensitive tokenizer, the joined bigram string)."""

import math
import re
import sys
import zlib

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
    "İstanbul \u212a \u017fum Straße ﬁne total \ud800 area",  # non-ASCII, a lone surrogate
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
