"""The detection view of a text: characters that only look like the ASCII the recognizers read
are folded to it, and every span found in the view maps back to the original text.

Full-width digits ("\uff15\uff13\uff16" for "536"), other scripts' digits, non-breaking and
thin spaces, en dashes, zero-width and other invisible characters, and Cyrillic or Greek
look-alikes inside a Latin word ("ex\u0430mple.com" with a Cyrillic a) all break a pattern for
ASCII while reading the same to a person and to an LLM. Masking still replaces the original
characters.

JSON string escapes are decoded the same way: `\\"`, `\\\\`, `\\/` and `\\uXXXX` (surrogate pairs
included). JSON inside a JSON string (`{\\"password\\": \\"…\\"}`, a log line's body) and
`json.dumps`' default ASCII output ("J\\u00fcrgen") read plainly to an LLM, so the recognizers
must read them plainly too; a span that covers part of an escape covers all of it, so masking
never cuts one ("\\<EMAIL_1>" would be invalid JSON). `\\n`, `\\t` and `\\r` are decoded too,
though in a Windows path ("C:\\new\\nina") they are no escapes: a line break inside a path
costs less than a JSON string's table or e-mail header read as one line.

URL percent-encoding ("zed.quux%40example.org", "536%2D22%2D1234", UTF-8 byte runs like
"J%C3%BCrgen") and HTML character references ("&#64;", "&#x2D;", "&commat;", "&nbsp;") are
decoded too: `encodeURIComponent` output in a pasted URL or tool argument, and text copied out of
HTML, read plainly to an LLM. Only printable characters are decoded ("%0A" and "%00" stay), and
a reference needs its ";". In a URL query's value a "+" reads as the space it stands for
("?q=Marta+Kowalski").

Plain-ASCII text without a backslash, "%", "&", or "+" and "=" after a "?" (nearly every
prompt) is returned as it is, after C-speed checks.
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from hybridroute.privacy.matching import CJK, CJK_CHAR, enclosing_runs, non_ascii

# Look-alikes folded only inside a word that also has ASCII letters: a homoglyph in an
# address or a name, not Russian or Greek prose.
_CONFUSABLE = dict(
    zip(
        "аеорсухіјѕԁһӏԛԝвкмнтАВЕКМНОРСТХІЈЅοαικνρτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
        "aeopcyxijsdhlqwbkmhtABEKMHOPCTXIJSoaiKvptuxABEZHIKMNOPTYX",
        strict=True,
    )
)
# A word, for the look-alike rule: e-mail and URL characters join its parts.
_WORD_CHAR = re.compile(r"[\w.@+-]")
_ASCII_LETTER_RUN = re.compile(r"[A-Za-z]+")
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
# JSON escapes: a surrogate pair, one code unit, or a quote, backslash or slash.
_ESCAPE = re.compile(
    r"\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})"
    r"|\\u([0-9a-fA-F]{4})|\\([\"\\/ntr])"
)
_CONTROL = {"n": "\n", "t": "\t", "r": "\r"}
# Percent-encoded printable ASCII or one UTF-8 multi-byte character, and HTML character
# references (decimal, hexadecimal, named) with their ";".
_REFERENCE = re.compile(
    r"%(?:2[0-9a-eA-E]|3[0-9bdeBDE]|[4-6][0-9a-fA-F]|7[0-9a-eA-E])"
    r"|%[cCdD][0-9a-fA-F](?:%[89abAB][0-9a-fA-F])"
    r"|%[eE][0-9a-fA-F](?:%[89abAB][0-9a-fA-F]){2}"
    r"|%[fF][0-4](?:%[89abAB][0-9a-fA-F]){3}"
    r"|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
)
# What reads as a Latin letter or digit next to a CJK character (full-width forms included),
# and a phone number's "+".
_LATIN_OR_DIGITS = "A-Za-z0-9+\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"
_LATIN_OR_DIGIT = re.compile(f"[{_LATIN_OR_DIGITS}]")
_LONG_MARK_DASH = re.compile(r"(?<=[0-9\uff10-\uff19])\u30fc(?=[0-9\uff10-\uff19])")
_SCRIPT_SEAM = re.compile(f"[{CJK}](?=[{_LATIN_OR_DIGITS}])|(?<=[{_LATIN_OR_DIGITS}])[{CJK}]")
# A URL query parameter's value (group 1): after "?" or "&", a key and "=".
_QUERY_VALUE = re.compile(r"[?&][\w.\[\]%-]{1,64}=([^\s&#\"'<>]+)")


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str | None:
    """What a non-ASCII character reads as for detection; None when it stays as it is."""
    category = unicodedata.category(char)
    if category == "Cf":  # zero-width space and joiners, soft hyphen, bidi controls, BOM
        return ""
    if category == "Zs":
        return " "
    if category == "Pd" or char == "\u2212":  # hyphens, en and em dashes, minus sign
        return "-"
    if category == "Nd":
        return str(unicodedata.decimal(char))
    if char in _COMPAT_CHARS:
        folded = unicodedata.normalize("NFKC", char)
        # Letters, digits and identifier punctuation; not the full-width comma of Chinese.
        if len(folded) == 1 and folded.isascii() and (folded.isalnum() or folded in "@.-+()/:_#"):
            return folded
    return None


@dataclass(frozen=True, slots=True)
class FoldedText:
    """`text` as the detectors read it, with the way back to `original`."""

    text: str
    original: str
    # Where each piece of `text` starts, where its source starts in `original` and how long
    # that source is; a piece is either copied (same length) or one original character or
    # escape sequence folded to `text` characters.
    _starts: tuple[int, ...] = ()
    _sources: tuple[int, ...] = ()
    _copied: tuple[bool, ...] = ()
    _widths: tuple[int, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self._starts)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of `text[start:end]` (non-empty), invisible characters inside
        it included; a folded piece maps to its whole source (an escape sequence)."""
        if not self._starts:
            return start, end
        first = self._piece(start)
        last = self._piece(end - 1)
        if self._copied[first]:
            begin = self._sources[first] + start - self._starts[first]
        else:
            begin = self._sources[first]
        if self._copied[last]:
            return begin, self._sources[last] + end - self._starts[last]
        return begin, self._sources[last] + self._widths[last]

    def _piece(self, index: int) -> int:
        return bisect_right(self._starts, index) - 1


def fold(text: str) -> FoldedText:
    """The detection view of `text`; the text itself when nothing needs folding."""
    escaped = "\\" in text
    encoded = "%" in text or "&" in text
    queried = "+" in text and "=" in text and ("?" in text or "&" in text)
    plain = text.isascii()
    if plain and not escaped and not encoded and not queried:
        return FoldedText(text, text)
    # Original start -> (length in the original, what the view reads there).
    replacements: dict[int, tuple[int, str]] = {}
    if escaped:
        _decode_escapes(text, replacements)
    if encoded:
        _decode_references(text, replacements)
    if queried:
        _decode_query_spaces(text, replacements)
    if plain:
        if replacements and (escaped or encoded):
            _part_decoded_scripts(text, replacements)
        return _view(text, replacements) if replacements else FoldedText(text, text)
    # Set operations run in C; the searches below then look only for characters present.
    present = set(non_ascii(text))
    for char in present & _FOLDABLE:
        folded = _fold_char(char)
        if folded is not None:
            # `str.find` skips ahead in C; a regex class reads every character (~3 ns each).
            index = text.find(char)
            while index >= 0:
                replacements[index] = (1, folded)
                index = text.find(char, index + 1)
    look_alikes = present & _CONFUSABLE.keys()
    if look_alikes and _ASCII_LETTER_RUN.search(text) is not None:
        _fold_mixed_words(text, frozenset(look_alikes), replacements)
    if "\u30fc" in present:
        _dashes_between_digits(text, replacements)
    if CJK_CHAR.search("".join(present)) is not None:
        _part_scripts(text, replacements)
    if escaped or encoded:
        _part_decoded_scripts(text, replacements)
    if not replacements:
        return FoldedText(text, text)
    return _view(text, replacements)


def _decode_escapes(text: str, replacements: dict[int, tuple[int, str]]) -> None:
    """JSON string escapes, decoded left to right (so `\\\\"` is a backslash, then a quote);
    a decoded character is folded as if it had been written out ("\\u00a0" is a space)."""
    for match in _ESCAPE.finditer(text):
        decoded = _decoded(match)
        if decoded is None:
            continue
        if decoded in _FOLDABLE:
            folded = _fold_char(decoded)
            decoded = decoded if folded is None else folded
        replacements[match.start()] = (match.end() - match.start(), decoded)


def _decode_references(text: str, replacements: dict[int, tuple[int, str]]) -> None:
    """Percent-encoded characters and HTML character references, decoded and folded like
    JSON escapes; an undecodable one ("%C3%28", "&nosuch;", "&#0;") stays as it is."""
    for match in _references(text):
        reference = match[0]
        if reference[0] == "%":
            try:
                decoded = bytes.fromhex(reference.replace("%", "")).decode("utf-8")
            except UnicodeDecodeError:
                continue
        else:
            decoded = html.unescape(reference)
            # (html gives U+FFFD for "&#0;" and surrogates.)
            if decoded in (reference, "\ufffd") or not (decoded.isprintable() or decoded.isspace()):
                continue
        if decoded in _FOLDABLE:
            folded = _fold_char(decoded)
            decoded = decoded if folded is None else folded
        replacements[match.start()] = (match.end() - match.start(), decoded)


def _decode_query_spaces(text: str, replacements: dict[int, tuple[int, str]]) -> None:
    """A "+" inside a URL query's value is a space ("?q=Marta+Kowalski+4111+1111+…", form
    encoding; a plus is written "%2B" there). Not in a value with "@" (an e-mail address
    pasted unencoded keeps its "+tag"), nor at a value's start or end, nor next to another
    "+" ("c++")."""
    for match in _QUERY_VALUE.finditer(text):
        value = match[1]
        if "+" not in value or "@" in value:
            continue
        for index in range(1, len(value) - 1):
            if value[index] == "+" and value[index - 1] != "+" and value[index + 1] != "+":
                replacements[match.start(1) + index] = (1, " ")


def _part_scripts(text: str, replacements: dict[int, tuple[int, str]]) -> None:
    """A space between a CJK character and a Latin letter or digit it touches: Chinese,
    Japanese and Korean write no space there ("卡号是4539…", "IBANは…です", "…입니다"),
    but the scripts part the words as a space would, and the recognizers' word boundaries
    read only spaces and punctuation as parting."""
    for match in _SCRIPT_SEAM.finditer(text):
        index = match.start()
        if index in replacements:
            continue
        before = " " if index > 0 and _LATIN_OR_DIGIT.match(text, index - 1) else ""
        after = " " if _LATIN_OR_DIGIT.match(text, index + 1) else ""
        replacements[index] = (1, f"{before}{text[index]}{after}")


def _part_decoded_scripts(text: str, replacements: dict[int, tuple[int, str]]) -> None:
    """`_part_scripts` for CJK characters that escapes and references decode to: a JSON
    string of `json.dumps` ("\\u5361\\u53f7\\u662f4539…", a tool call's arguments) reads
    "卡号是4539…" too. Their neighbours may be written out or decoded as well."""
    decoded_cjk = [
        start for start, (_, out) in replacements.items() if out and CJK_CHAR.search(out)
    ]
    if not decoded_cjk:
        return
    ends = {start + width: start for start, (width, _) in replacements.items()}

    def reads(at: int, *, before: bool) -> str:
        """The character the view reads just before (or at) original offset `at`."""
        if before:
            source = ends.get(at)
            return replacements[source][1][-1:] if source is not None else text[at - 1 : at]
        return replacements[at][1][:1] if at in replacements else text[at : at + 1]

    for start in decoded_cjk:
        width, out = replacements[start]
        if CJK_CHAR.match(out[-1]) and _LATIN_OR_DIGIT.match(reads(start + width, before=False)):
            out += " "
        if CJK_CHAR.match(out[0]) and _LATIN_OR_DIGIT.match(reads(start, before=True)):
            out = " " + out
        replacements[start] = (width, out)


def _dashes_between_digits(text: str, replacements: dict[int, tuple[int, str]]) -> None:
    """The katakana long-vowel mark between two digits is a dash ("090ー7361ー4825", as
    Japanese input methods often type a phone number)."""
    for match in _LONG_MARK_DASH.finditer(text):
        replacements.setdefault(match.start(), (1, "-"))


def _references(text: str) -> Iterator[re.Match[str]]:
    """`_REFERENCE` matches. Prose has a few "%" and "&" ("12% of", "R&D"): trying the
    pattern only there costs ~1 µs, where a scan of every character costs ~6 ns each
    (+3% on 1,000 tokens of prose); a text full of them is scanned."""
    if text.count("%") + text.count("&") > 64:
        yield from _REFERENCE.finditer(text)
        return
    for char in "%&":
        index = text.find(char)
        while index >= 0:
            match = _REFERENCE.match(text, index)
            if match is not None:
                yield match
            index = text.find(char, index + 1)


def decode_escapes(text: str) -> str:
    """`text` with its JSON string escapes decoded as the detection view reads them, and
    nothing else folded: what a masked value stands for ("J\\u00fcrgen" is "Jürgen")."""
    if "\\" not in text:
        return text
    return _ESCAPE.sub(lambda match: _decoded(match) or match[0], text)


def _decoded(escape: re.Match[str]) -> str | None:
    """The character an `_ESCAPE` match stands for; None for half a surrogate pair."""
    high, low, code, char = escape.groups()
    if char is not None:
        return _CONTROL.get(char, char)
    if code is not None:
        decoded = chr(int(code, 16))
        return None if "\ud800" <= decoded <= "\udfff" else decoded
    return chr(0x10000 + ((int(high, 16) - 0xD800) << 10) + int(low, 16) - 0xDC00)


def _view(text: str, replacements: dict[int, tuple[int, str]]) -> FoldedText:
    pieces: list[str] = []
    starts: list[int] = []
    sources: list[int] = []
    copied: list[bool] = []
    widths: list[int] = []
    length = 0
    cursor = 0
    for index in sorted(replacements):
        if index > cursor:
            starts.append(length)
            sources.append(cursor)
            copied.append(True)
            widths.append(index - cursor)
            pieces.append(text[cursor:index])
            length += index - cursor
        width, folded = replacements[index]
        if folded:
            starts.append(length)
            sources.append(index)
            copied.append(False)
            widths.append(width)
            pieces.append(folded)
            length += len(folded)
        cursor = index + width
    if cursor < len(text):
        starts.append(length)
        sources.append(cursor)
        copied.append(True)
        widths.append(len(text) - cursor)
        pieces.append(text[cursor:])
    return FoldedText(
        "".join(pieces), text, tuple(starts), tuple(sources), tuple(copied), tuple(widths)
    )


@lru_cache(maxsize=256)
def _any_of(chars: frozenset[str]) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]")


def _fold_mixed_words(
    text: str, look_alikes: frozenset[str], replacements: dict[int, tuple[int, str]]
) -> None:
    """Fold the look-alikes of every word that also holds an ASCII letter. The search walks
    the rarer side: look-alikes in Latin text, ASCII letters in Cyrillic or Greek text."""
    seen = sum(text.count(c) for c in look_alikes)
    ascii_chars = len(text.encode("ascii", "ignore"))
    hits = _any_of(look_alikes) if seen <= ascii_chars else _ASCII_LETTER_RUN
    for start, end in enclosing_runs(hits.finditer(text), text, _WORD_CHAR):
        value = text[start:end]
        if _ASCII_LETTERS.isdisjoint(value) or look_alikes.isdisjoint(value):
            continue
        for offset, char in enumerate(value):
            latin = _CONFUSABLE.get(char)
            if latin is not None:
                replacements[start + offset] = (1, latin)


# Every character `_fold_char` may change, kept as a set so that a text's characters are
# matched against it in C. The ranges are Python 3.11's Unicode database (14.0); a test
# checks they still cover every character `_fold_char` changes.
# Format characters (Cf): zero-width space and joiners, soft hyphen, bidi controls, BOM.
_FORMAT = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f"
)
# Space separators (Zs) other than the ASCII space.
_SPACES = "\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
# Dashes (Pd) and the minus sign.
_DASHES = (
    "\u058a\u05be\u1400\u1806\u2010-\u2015\u2212\u2e17\u2e1a\u2e3a-\u2e3b\u2e40\u2e5d"
    "\u301c\u3030\u30a0\ufe31-\ufe32\ufe58\ufe63\uff0d\U00010ead"
)
# Decimal digits (Nd) of other scripts.
_DIGITS = (
    "\u0660-\u0669\u06f0-\u06f9\u07c0-\u07c9\u0966-\u096f\u09e6-\u09ef\u0a66-\u0a6f"
    "\u0ae6-\u0aef\u0b66-\u0b6f\u0be6-\u0bef\u0c66-\u0c6f\u0ce6-\u0cef\u0d66-\u0d6f"
    "\u0de6-\u0def\u0e50-\u0e59\u0ed0-\u0ed9\u0f20-\u0f29\u1040-\u1049\u1090-\u1099"
    "\u17e0-\u17e9\u1810-\u1819\u1946-\u194f\u19d0-\u19d9\u1a80-\u1a89\u1a90-\u1a99"
    "\u1b50-\u1b59\u1bb0-\u1bb9\u1c40-\u1c49\u1c50-\u1c59\ua620-\ua629\ua8d0-\ua8d9"
    "\ua900-\ua909\ua9d0-\ua9d9\ua9f0-\ua9f9\uaa50-\uaa59\uabf0-\uabf9\uff10-\uff19"
    "\U000104a0-\U000104a9\U00010d30-\U00010d39\U00011066-\U0001106f"
    "\U000110f0-\U000110f9\U00011136-\U0001113f\U000111d0-\U000111d9"
    "\U000112f0-\U000112f9\U00011450-\U00011459\U000114d0-\U000114d9"
    "\U00011650-\U00011659\U000116c0-\U000116c9\U00011730-\U00011739"
    "\U000118e0-\U000118e9\U00011950-\U00011959\U00011c50-\U00011c59"
    "\U00011d50-\U00011d59\U00011da0-\U00011da9\U00016a60-\U00016a69"
    "\U00016ac0-\U00016ac9\U00016b50-\U00016b59\U0001d7ce-\U0001d7ff"
    "\U0001e140-\U0001e149\U0001e2f0-\U0001e2f9\U0001e950-\U0001e959"
    "\U0001fbf0-\U0001fbf9"
)
# Compatibility blocks whose NFKC form may be plain ASCII: full-width and small forms (U+FF20
# and U+FE6B are "@") and mathematical letters and digits (U+1D7D3 is "5").
_COMPAT = "\ufe50-\ufe6f\uff00-\uffef\U0001d400-\U0001d7ff"


def _characters(ranges: str) -> frozenset[str]:
    """The characters of a regex class body made of single characters and `a-z` ranges."""
    found: set[str] = set()
    index = 0
    while index < len(ranges):
        if index + 2 < len(ranges) and ranges[index + 1] == "-":
            found.update(map(chr, range(ord(ranges[index]), ord(ranges[index + 2]) + 1)))
            index += 3
        else:
            found.add(ranges[index])
            index += 1
    return frozenset(found)


_COMPAT_CHARS = _characters(_COMPAT)
_FOLDABLE = _characters(_FORMAT + _SPACES + _DASHES + _DIGITS) | _COMPAT_CHARS
