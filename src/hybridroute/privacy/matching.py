"""Fast regex scanning: lower-cased text with aligned offsets, and boundary checks done in
Python instead of a leading `\\b` or look-behind.

CPython's `re` skips ahead quickly only when a pattern starts with a literal or a character
class; a leading `\\b`, look-behind or `(?i)` switches that off and makes every position a full
match attempt (measured: 3 µs vs 60 µs for one keyword over 1,000 tokens). So patterns here
start with what they consume, run on lower-cased text, and the boundary rule is checked on
the (few) matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator


def lower_aligned(text: str) -> str:
    """`text.lower()` with the same length, so offsets in it are offsets in `text`."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    # A few characters ('İ') lower-case to two; keep those as they are.
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def matches(
    pattern: re.Pattern[str],
    text: str,
    not_after: re.Pattern[str] | None = None,
    pos: int = 0,
    endpos: int | None = None,
) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text, pos, endpos)`, skipping matches that start right after a
    `not_after` character."""
    search = pattern.search
    end = len(text) if endpos is None else endpos
    while pos <= end:
        match = search(text, pos, end)
        if match is None:
            return
        start = match.start()
        if (
            not_after is not None
            and start > 0
            and not_after.match(text, start - 1)
            and not cjk_pair(text, start)
        ):
            # No match can start inside this run of joined characters; `re` caches the
            # compiled run pattern, so this costs a dict lookup.
            run = re.compile(f"(?:{not_after.pattern})+").match(text, start)
            pos = (run.end() if run else start) + 1
            continue
        pos = match.end() if match.end() > start else start + 1
        yield match


def cjk_pair(text: str, start: int) -> bool:
    """Whether `text[start - 1]` and `text[start]` are both CJK characters: those scripts
    write words without spaces ("我的身份证"), so a word character before a match there does
    not join it to a longer word."""
    if text[start - 1] < "\u3040":  # below every CJK character: most calls end here
        return False
    return CJK_CHAR.match(text, start - 1) is not None and CJK_CHAR.match(text, start) is not None


def has_cjk(text: str) -> bool:
    """Whether `text` holds a Han, kana or Hangul character. ASCII text: O(1); else the
    search runs over the non-ASCII characters only (~6 µs for 1,000 tokens, a third of a
    search of the whole text)."""
    return not text.isascii() and CJK_CHAR.search(non_ascii(text)) is not None


def non_ascii(text: str) -> str:
    """The characters of `text` outside ASCII, in order: its UTF-8 bytes without the ASCII
    ones, decoded (~1 µs per 1,000 characters; a regex or `set(text)` reads every character,
    ~3-6 ns each). A lone surrogate is a character too."""
    utf8 = text.encode("utf-8", "surrogatepass")
    return utf8.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass")


def first_match(
    pattern: re.Pattern[str], text: str, not_after: re.Pattern[str] | None = None, pos: int = 0
) -> re.Match[str] | None:
    """The first match of `matches(...)` from `pos`, or None."""
    return next(matches(pattern, text, not_after, pos), None)


def enclosing_runs(
    hits: Iterable[re.Match[str]], text: str, joiner: re.Pattern[str]
) -> Iterator[tuple[int, int]]:
    """For each hit, the span of the run of `joiner` characters it starts in (the hit alone
    when it starts on none); hits inside the run just given are skipped."""
    run = re.compile(f"(?:{joiner.pattern})+")  # cached by `re`: a dict lookup
    end = 0
    for hit in hits:
        if hit.start() < end:
            continue
        start = hit.start()
        while start > 0 and joiner.match(text, start - 1):
            start -= 1
        found = run.match(text, start)
        end = found.end() if found else hit.end()
        yield start, end


WORD_CHAR = re.compile(r"\w")
# Character-class bodies: Han (unified ideographs and extension A), kana (not the double
# hyphen "゠" or the middle dot "・") and Hangul syllables.
HAN = "\u3400-\u4dbf\u4e00-\u9fff"
KANA = "\u3041-\u309f\u30a1-\u30fa\u30fc-\u30ff"
HANGUL = "\uac00-\ud7a3"
# All of them, with compatibility ideographs, half-width kana and the Hangul letters of
# chat's "ㅋㅋ".
CJK = f"{HAN}{KANA}{HANGUL}\uf900-\ufaff\uff66-\uff9f\u3131-\u318e"
CJK_CHAR = re.compile(f"[{CJK}]")
_ASCII_BYTES = bytes(range(128))
# Capital letters, for a character class: ASCII, Latin-1 (not the multiplication sign) and
# Latin Extended-A (whose upper and lower case alternate, so a superset there).
CAPITALS = r"A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u017f"


def search_within(
    pattern: re.Pattern[str], text: str, pos: int, endpos: int
) -> re.Match[str] | None:
    """The first match starting in `text[pos:endpos]`, exactly as a search of the whole text
    would give it: `endpos` makes `$`, `\\b` and look-aheads see an end of text that is not
    there, so each candidate is matched again without it."""
    while pos < endpos:
        candidate = pattern.search(text, pos, endpos)
        if candidate is None:
            return None
        match = pattern.match(text, candidate.start())
        if match is not None:
            return match
        pos = candidate.start() + 1
    return None
