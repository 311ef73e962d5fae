"""Token counts estimated without a tokenizer (the decision path must stay sub-millisecond).

ASCII text keeps the old rule, four characters per token. Other characters are weighted by
script, read off their UTF-8 lead byte: one `encode`, one `translate` and a few `count`s, all in
C, so there is no per-character Python loop even on long prompts. The weights are fitted to
SmolLM2's tokenizer (the embedded tier's, the smallest window) with
`benchmarks/token_estimate.py --fit`; the measured errors are in docs/routing.md.
"""

from __future__ import annotations

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


def _tables() -> tuple[bytes, bytes, tuple[tuple[bytes, int], ...], int]:
    """A translate table from lead bytes to one code per distinct weight, and the codes.

    Weights become whole hundredths of a token: integer sums are exact, so appending text can
    never lower an estimate through float rounding.
    """
    weights = sorted({round(w * 100) for _, _, w in SCRIPT_WEIGHTS})
    table = bytearray(range(256))
    for first, last, weight in SCRIPT_WEIGHTS:
        for lead in range(first, last + 1):
            table[lead] = weights.index(round(weight * 100))
    # ASCII and continuation bytes are deleted: what is left is one code per other character.
    delete = bytes(range(0xC0))
    codes = tuple((bytes([i]), w) for i, w in enumerate(weights))
    e0 = next(round(w * 100) for first, last, w in SCRIPT_WEIGHTS if first <= 0xE0 <= last)
    return bytes(table), delete, codes, round(DEVANAGARI_WEIGHT * 100) - e0


_TABLE, _DELETE, _CODES, _DEVANAGARI_DELTA = _tables()
_ASCII = round(100 / CHARS_PER_TOKEN)


def approx_tokens(text: str) -> int:
    """A cheap, slightly pessimistic token count for budgeting and context-window checks."""
    if text.isascii():  # O(1): CPython knows it from the string's storage
        return int(len(text) / CHARS_PER_TOKEN) + 1
    # surrogatepass: a lone surrogate (from a JSON escape) must not raise here.
    data = text.encode("utf-8", "surrogatepass")
    leads = data.translate(_TABLE, _DELETE)
    hundredths = (len(text) - len(leads)) * _ASCII
    for code, weight in _CODES:
        hundredths += leads.count(code) * weight
    if b"\xe0" in data:
        devanagari = data.count(DEVANAGARI[0]) + data.count(DEVANAGARI[1])
        hundredths += devanagari * _DEVANAGARI_DELTA
    return hundredths // 100 + 1
