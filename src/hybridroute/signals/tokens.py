"""Token counts estimated without a tokenizer (the decision path must stay sub-millisecond).

ASCII text keeps the old rule, four characters per token. Other characters are weighted by
script, read off their UTF-8 lead byte: one `encode`, one `translate` and a few `count`s, all in
C, so there is no per-character Python loop even on long prompts. The weights are fitted to
SmolLM2's tokenizer (the embedded tier's, the smallest window) with
`benchmarks/token_estimate.py --fit`; the measured errors are in docs/routing.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# Which weights to count with: "small" for vocabularies of ~32-50k tokens (SmolLM2, Llama 2,
# Mistral 7B), "large" for 100k+ (OpenAI's cl100k / o200k, Llama 3, Qwen, Gemma), which
# split text in other scripts into far fewer tokens.
Vocabulary = Literal["small", "large"]

# ASCII: about four characters a token (SmolLM2: English prose 0.83, Python 1.00 real tokens /
# estimate at the median); kept as it was so decisions on English prompts do not move.
CHARS_PER_TOKEN = 4.0

# (first lead byte, last lead byte, tokens per character): every character whose UTF-8 lead
# byte is in the range counts this much. A lead byte names a block of 64 code points (two-byte
# forms) or 4,096 (three-byte forms): fine enough to tell apart the scripts that a mostly
# English vocabulary splits differently. The fitted values (in parentheses) are rounded up a
# little, to be pessimistic, and to few distinct weights, as each costs one `count`.
SCRIPT_WEIGHTS: tuple[tuple[int, int, float], ...] = (
    # U+0080-00BF: Latin-1 signs, no-break space, guillemets. One token each in English text,
    # kept there on purpose; the fit (3.1) is pulled up by the languages below.
    (0xC2, 0xC2, 1.5),
    # U+00C0-024F: accented Latin letters. The letter alone is one or two tokens; the weight
    # carries the extra tokens of the non-English word around it (3.7).
    (0xC3, 0xC9, 4.0),
    (0xCA, 0xD4, 1.0),  # U+0280-053F: IPA, combining marks, Greek, Cyrillic (0.96)
    (0xD5, 0xD6, 2.2),  # U+0540-05BF: Armenian (2.18)
    (0xD7, 0xDF, 1.5),  # U+05C0-07FF: Hebrew, Arabic, Syriac, Thaana (1.25)
    (0xE0, 0xE0, 2.5),  # U+0800-0FFF: Indic scripts, Thai, Lao, Tibetan (2.39)
    (0xE1, 0xE1, 2.5),  # U+1000-1FFF: Georgian, Myanmar, Ethiopic, Khmer, Vietnamese (2.18)
    # U+2000-2FFF: dashes, curly quotes, arrows, symbols. One token each in English text; the
    # fit (1.7) is pulled up by emoji sequences (zero-width joiner, gender signs).
    (0xE2, 0xE2, 1.5),
    (0xE3, 0xE9, 2.2),  # U+3000-9FFF: CJK punctuation, kana, CJK ideographs (1.96)
    (0xEA, 0xED, 3.0),  # U+A000-DFFF: Hangul syllables, lone surrogates (2.88)
    (0xEE, 0xEF, 2.5),  # U+E000-FFFF: private use, full-width forms, variation selectors (2.54)
    (0xF0, 0xF4, 3.0),  # outside the BMP: emoji, rare ideographs (2.78)
)
# Devanagari (U+0900-097F: Hindi, Marathi, Nepali) splits less than the other scripts under
# lead byte 0xE0 (1.41 against 2.39): its two-byte prefixes are counted apart.
DEVANAGARI = (b"\xe0\xa4", b"\xe0\xa5")
DEVANAGARI_WEIGHT = 1.5

# Fitted (`benchmarks/token_estimate.py --fit --fit-to large`) to the larger of o200k_base's
# and cl100k_base's count on each text, fitted values in parentheses, then raised where
# cl100k still split a script more finely at the median (in brackets: cl100k / estimate at
# the fitted value), so the estimate stays pessimistic for either vocabulary. Greek and
# Hebrew get their own lead bytes for that. Latin-1 signs and the symbols under 0xE2 keep
# about a token each, as English text has them.
LARGE_VOCABULARY_WEIGHTS: tuple[tuple[int, int, float], ...] = (
    (0xC2, 0xC2, 1.0),  # Latin-1 signs (0.49)
    (0xC3, 0xC9, 2.3),  # accented Latin, with the rest of its word (2.10) [1.02]
    (0xCA, 0xCF, 1.0),  # IPA, combining marks, Greek (0.62) [Greek 1.44]
    (0xD0, 0xD4, 0.7),  # Cyrillic (0.62)
    (0xD5, 0xD6, 2.2),  # Armenian (2.17): cl100k splits it as finely as SmolLM2
    (0xD7, 0xD7, 1.2),  # Hebrew (0.93) [1.18]
    (0xD8, 0xDF, 1.0),  # Arabic, Syriac, Thaana (0.93)
    (0xE0, 0xE0, 2.0),  # Indic scripts, Thai (1.55) [Bengali 1.17, Tamil 1.09]
    (0xE1, 0xE1, 2.2),  # Georgian, Myanmar, Khmer, Vietnamese (1.94)
    (0xE2, 0xE2, 1.2),  # dashes, quotes, arrows, symbols (1.08)
    (0xE3, 0xE9, 1.3),  # kana, CJK ideographs (1.17)
    (0xEA, 0xED, 1.3),  # Hangul (1.17)
    (0xEE, 0xEF, 3.0),  # private use, full-width forms (3.01)
    (0xF0, 0xF4, 3.0),  # emoji (2.75)
)
LARGE_VOCABULARY_DEVANAGARI = 1.3  # (1.23)


@dataclass(frozen=True, slots=True)
class _Tables:
    """A translate table from lead bytes to one code per distinct weight, the bytes to drop,
    each code with its weight, and Devanagari's correction to the 0xE0 weight.

    Weights are whole hundredths of a token: integer sums are exact, so appending text can
    never lower an estimate through float rounding.
    """

    table: bytes
    delete: bytes
    codes: tuple[tuple[bytes, int], ...]
    devanagari_delta: int

    @classmethod
    def of(cls, weights: tuple[tuple[int, int, float], ...], devanagari: float) -> _Tables:
        distinct = sorted({round(w * 100) for _, _, w in weights})
        table = bytearray(range(256))
        for first, last, weight in weights:
            for lead in range(first, last + 1):
                table[lead] = distinct.index(round(weight * 100))
        # ASCII and continuation bytes are deleted: what is left is one code per other
        # character.
        codes = tuple((bytes([i]), w) for i, w in enumerate(distinct))
        e0 = next(round(w * 100) for first, last, w in weights if first <= 0xE0 <= last)
        return cls(bytes(table), bytes(range(0xC0)), codes, round(devanagari * 100) - e0)


_TABLES = {
    "small": _Tables.of(SCRIPT_WEIGHTS, DEVANAGARI_WEIGHT),
    "large": _Tables.of(LARGE_VOCABULARY_WEIGHTS, LARGE_VOCABULARY_DEVANAGARI),
}
_ASCII = round(100 / CHARS_PER_TOKEN)


def approx_tokens(text: str, vocabulary: Vocabulary = "small") -> int:
    """A cheap, slightly pessimistic token count for budgeting and context-window checks, for
    a tokenizer with a small (~50k, the default) or a large (100k+) vocabulary."""
    if text.isascii():  # O(1): CPython knows it from the string's storage
        return int(len(text) / CHARS_PER_TOKEN) + 1
    tables = _TABLES[vocabulary]
    # surrogatepass: a lone surrogate (from a JSON escape) must not raise here.
    data = text.encode("utf-8", "surrogatepass")
    leads = data.translate(tables.table, tables.delete)
    hundredths = (len(text) - len(leads)) * _ASCII
    for code, weight in tables.codes:
        hundredths += leads.count(code) * weight
    if b"\xe0" in data:
        devanagari = data.count(DEVANAGARI[0]) + data.count(DEVANAGARI[1])
        hundredths += devanagari * tables.devanagari_delta
    return hundredths // 100 + 1
