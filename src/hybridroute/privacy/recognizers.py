"""Structured identifiers found by regular expressions, confirmed by checksums and context.

Each recognizer is a compiled pattern plus an optional check that turns a match into a
confidence (or rejects it). Patterns start with what they consume (a digit, `@`, a keyword)
and most run on the lower-cased text, so `re` can skip ahead fast (see `matching.py`); the
boundary a look-behind would have checked is checked on the match instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from hybridroute.privacy import checksums
from hybridroute.privacy.entities import Entity, EntityType
from hybridroute.privacy.matching import WORD_CHAR, lower_aligned, matches
from hybridroute.privacy.prefilter import FilterPattern, Prefilter

# A check receives the match, the text and the lower-cased text (same offsets); it returns a
# confidence, or a confidence with a corrected (start, end) span, or None to reject the match.
Check = Callable[[re.Match[str], str, str], float | tuple[float, int, int] | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class PatternRecognizer:
    """One entity type found by one pattern; group `v` (if present) is the sensitive span."""

    entity: EntityType
    pattern: re.Pattern[str]
    score: float
    check: Check | None = None
    # Run only if one of these (lower-case) substrings occurs; empty means always run.
    triggers: tuple[str, ...] = ()
    needs_digit: bool = False
    # The pattern is lower-case and runs on the lower-cased text.
    lowered: bool = False
    # A match may not start right after a character matching this (a look-behind's job).
    not_after: re.Pattern[str] | None = None
    # Search only around runs of digits and separators holding at least this many digits.
    min_digits: int = 0
    # For the prefilter, when the pattern's own approximation is too loose: a pattern that
    # matches wherever `pattern` has a match the check accepts (e.g. its look-ahead). Without
    # a gate match the recognizer is skipped; with one it searches the whole text.
    gate: re.Pattern[str] | None = None

    def find(
        self,
        text: str,
        lowered: str,
        has_digit: bool,
        numbers: Sequence[NumberRun] | None = None,
        windows: Sequence[tuple[int, int]] | None = None,
    ) -> Iterator[Entity]:
        """Entities in `text`. `windows` (from the prefilter): the only spans where a match
        can be, if known."""
        if self.needs_digit and not has_digit:
            return
        if self.triggers and not any(t in lowered for t in self.triggers):
            return
        subject = lowered if self.lowered else text
        for match in self._matches(subject, numbers, windows):
            verdict = self.score if self.check is None else self.check(match, text, lowered)
            if verdict is None:
                continue
            if isinstance(verdict, tuple):
                score, start, end = verdict
            else:
                score, (start, end) = verdict, _value_span(match)
            if start < end:
                yield Entity(type=self.entity, start=start, end=end, score=score)

    def _matches(
        self,
        subject: str,
        numbers: Sequence[NumberRun] | None,
        windows: Sequence[tuple[int, int]] | None,
    ) -> Iterator[re.Match[str]]:
        size = len(subject)
        if windows is None and self.min_digits:
            runs = numbers if numbers is not None else number_runs(subject)
            windows = tuple(_windows(runs, self.min_digits, size))
        if windows is None:
            yield from matches(self.pattern, subject, self.not_after)
            return
        last_end = 0
        for pos, endpos in windows:
            for match in matches(self.pattern, subject, self.not_after, max(pos, last_end), endpos):
                if match.end() > endpos - 2 and endpos < size:
                    # Cut short by the window: match again on the whole text.
                    match = next(matches(self.pattern, subject, self.not_after, match.start()))
                    last_end = match.end()
                    yield match
                    break
                last_end = match.end()
                yield match


def _windows(runs: Sequence[NumberRun], min_digits: int, size: int) -> Iterator[tuple[int, int]]:
    """Merged spans around the number runs holding at least `min_digits` digits: 3 characters
    before each (a "+" or "("), 32 after (an extension, what a look-ahead reads)."""
    span: tuple[int, int] | None = None
    for run in runs:
        if run.digits < min_digits:
            continue
        start, end = max(0, run.start - 3), min(size, run.end + 32)
        if span is not None and start <= span[1]:
            span = (span[0], end)
            continue
        if span is not None:
            yield span
        span = (start, end)
    if span is not None:
        yield span


@dataclass(frozen=True, slots=True)
class NumberRun:
    """A run of digits and separators (`text[start:end]`) and how many digits it holds."""

    start: int
    end: int
    digits: int


def number_runs(text: str, at_least: int = 1) -> list[NumberRun]:
    """Every maximal run of digits, spaces and number punctuation that starts with a digit
    and holds at least `at_least` digits."""
    pattern = _NUMBER_RUN if at_least <= 1 else re.compile(_RUN_OF_DIGITS.format(at_least - 1))
    return [
        NumberRun(m.start(), m.end(), len(checksums.digits_of(m.group(0))))
        for m in pattern.finditer(text)
    ]


class StructuredDetector:
    """Runs every pattern recognizer over a text; the fast mode's only detector."""

    name = "structured"

    def __init__(
        self, recognizers: Sequence[PatternRecognizer] | None = None, *, prefilter: bool = True
    ) -> None:
        self.recognizers = tuple(recognizers) if recognizers is not None else default_recognizers()
        self.prefilter = Prefilter(
            # Number recognizers already search only around runs of digits (`min_digits`);
            # Hyperscan's end offsets for them would be hundreds of callbacks per text.
            [
                FilterPattern(
                    r.gate or r.pattern,
                    caseless=r.lowered,
                    windowed=not r.min_digits and r.gate is None,
                )
                for r in self.recognizers
            ],
            enabled=prefilter,
        )

    def detect(self, text: str) -> list[Entity]:
        lowered = lower_aligned(text)
        has_digit = _DIGIT.search(text) is not None
        hits = self.prefilter.scan(text)
        live = [
            (recognizer, None if hits is None else hits.windows[index])
            for index, recognizer in enumerate(self.recognizers)
        ]
        live = [(recognizer, windows) for recognizer, windows in live if windows != ()]
        needed = [r.min_digits for r, w in live if r.min_digits and w is None]
        numbers = number_runs(text, min(needed)) if has_digit and needed else None
        found: list[Entity] = []
        for recognizer, windows in live:
            found.extend(recognizer.find(text, lowered, has_digit, numbers, windows))
        return found


def _value_span(match: re.Match[str]) -> tuple[int, int]:
    """The span of the value group (`v`, or `q` for a quoted value), else the whole match."""
    for name in ("v", "q"):
        if name in match.re.groupindex and match.start(name) >= 0:
            return match.span(name)
    return match.span(0)


def _context_before(lowered: str, start: int, words: re.Pattern[str], window: int = 48) -> bool:
    """One of `words` occurs on the same line within `window` characters before `start`."""
    left = max(0, start - window)
    line = lowered.rfind("\n", left, start)
    return words.search(lowered, line + 1 if line >= 0 else left, start) is not None


def _check_card(match: re.Match[str], text: str, lowered: str) -> float | None:
    number = checksums.digits_of(match.group(0))
    if not 12 <= len(number) <= 19 or not checksums.luhn_valid(number):
        return None
    if len(set(number)) == 1:
        return None
    in_context = _context_before(lowered, match.start(), _CARD_CONTEXT)
    if checksums.card_issuer_known(number) and (len(number) >= 13 or in_context):
        return 1.0
    return 0.9 if in_context else None


def _check_ssn(match: re.Match[str], text: str, lowered: str) -> float | None:
    if not checksums.ssn_valid(match["area"], match["group"], match["serial"]):
        return None
    in_context = _context_before(lowered, match.start(), _SSN_CONTEXT)
    if match["sep"] == "-":
        return 1.0 if in_context else 0.9
    return 1.0 if in_context else None


def _check_iban(match: re.Match[str], text: str, lowered: str) -> tuple[float, int, int] | None:
    # The pattern starts at the check digits; the two country letters come before them.
    start = match.start() - 2
    if start < 0 or not lowered[start : start + 2].isalpha() or not lowered[start].isascii():
        return None
    if start > 0 and lowered[start - 1].isalnum():
        return None
    # A grouped IBAN may be followed by a 4-character word the pattern swallowed: drop
    # trailing groups until the checksum holds.
    value = text[start : match.end()]
    while value:
        if checksums.iban_valid(value):
            return 1.0, start, start + len(value)
        cut = value.rfind(" ")
        if cut < 0:
            return None
        value = value[:cut]
    return None


def _check_ipv4(match: re.Match[str], text: str, lowered: str) -> float | None:
    value = match.group(0)
    if not checksums.ip_valid(value):
        return None
    # Private, loopback and documentation addresses identify no one outside a network.
    return 0.6 if checksums.ip_is_internal(value) else 0.95


def _check_ipv6(match: re.Match[str], text: str, lowered: str) -> tuple[float, int, int] | None:
    # The pattern starts at the first colon: take in the hex group before it.
    start = match.start()
    while start > 0 and match.start() - start < 4 and lowered[start - 1] in _HEX:
        start -= 1
    if start > 0 and (WORD_CHAR.match(lowered, start - 1) or lowered[start - 1] in ".:"):
        return None
    value = text[start : match.end()]
    if not checksums.ip_valid(value) or sum(1 for part in value.split(":") if part) < 3:
        return None
    return (0.6 if checksums.ip_is_internal(value) else 0.95), start, match.end()


def _check_email(match: re.Match[str], text: str, lowered: str) -> tuple[float, int, int] | None:
    # The pattern starts at "@": take in the local part before it.
    start = match.start()
    while start > 0 and _EMAIL_LOCAL.match(text, start - 1):
        start -= 1
    return (1.0, start, match.end()) if start < match.start() else None


def _check_phone(match: re.Match[str], text: str, lowered: str) -> float | None:
    number = match["num"]
    digits = checksums.digits_of(number)
    if not 7 <= len(digits) <= 15 or _NOT_PHONE.fullmatch(number):
        return None
    strong = (
        number.startswith(("+", "("))
        or "(" in number
        or match["ext"] is not None
        or _NANP.fullmatch(number) is not None
        or (number.startswith("0") and len(_PHONE_SEP.findall(number)) >= 2)
    )
    before = _context_before(lowered, match.start(), _PHONE_CONTEXT)
    after = _PHONE_AFTER.search(lowered, match.end(), match.end() + 12) is not None
    in_context = before or after
    if strong:
        return 1.0 if in_context else 0.85
    if in_context:
        return 0.85
    return None


def _has_digits(minimum: int) -> Check:
    def check(match: re.Match[str], text: str, lowered: str) -> float | None:
        value = match["v"] if "v" in match.re.groupindex else match.group(0)
        return 0.9 if sum(ch.isdigit() for ch in value) >= minimum else None

    return check


def _check_routing(match: re.Match[str], text: str, lowered: str) -> float | None:
    return 1.0 if checksums.aba_routing_valid(match["v"]) else None


def _check_secret_value(match: re.Match[str], text: str, lowered: str) -> float | None:
    value = match["v"]
    if not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return None
    return 0.9


def _check_name(match: re.Match[str], text: str, lowered: str) -> tuple[float, int, int] | None:
    # Keep the leading capitalised words: "Dear John Smith, thanks" -> "John Smith".
    start = match.start("v")
    end = start
    for word in _WORD.finditer(text, start, match.end("v")):
        if not word.group(0)[0].isupper():
            break
        end = word.end()
    return (0.9, start, end) if end > start else None


def _keyed(keywords: str, value: str, *, gap: int = 24) -> re.Pattern[str]:
    """Lower-case keyword then, on the same line and within `gap` characters, the value `v`."""
    return re.compile(rf"(?:{keywords})[^\n]{{0,{gap}}}?(?P<v>{value})")


def default_recognizers() -> tuple[PatternRecognizer, ...]:
    """The built-in structured recognizers, in no particular order (overlaps resolve later)."""
    return (*_digit_recognizers(), *_secret_recognizers(), *_keyed_recognizers())


def _digit_recognizers() -> tuple[PatternRecognizer, ...]:
    """Numbers validated by checksums or shape: card, SSN, IBAN, IP, phone, address."""
    return (
        PatternRecognizer(
            entity=EntityType.EMAIL,
            pattern=re.compile(r"@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?![\w-])"),
            score=1.0,
            check=_check_email,
            lowered=True,
        ),
        PatternRecognizer(
            entity=EntityType.CREDIT_CARD,
            pattern=re.compile(r"\d(?:[ -]?\d){11,18}(?![\w]|[.-]\d)"),
            score=1.0,
            check=_check_card,
            needs_digit=True,
            not_after=_NUMBER_JOINER,
            min_digits=12,
        ),
        PatternRecognizer(
            entity=EntityType.US_SSN,
            pattern=re.compile(
                r"(?P<area>\d{3})(?P<sep>[- ]?)(?P<group>\d{2})(?P=sep)"
                r"(?P<serial>\d{4})(?![\w]|[.-]\d)"
            ),
            score=1.0,
            check=_check_ssn,
            needs_digit=True,
            not_after=_NUMBER_JOINER,
            min_digits=9,
        ),
        PatternRecognizer(
            entity=EntityType.IBAN,
            pattern=re.compile(r"\d{2}(?:[ ]?[a-z0-9]{4}){2,7}(?:[ ]?[a-z0-9]{1,3})?(?![a-z0-9])"),
            score=1.0,
            check=_check_iban,
            needs_digit=True,
            lowered=True,
            # Only a match after two country letters passes the check: in PII-dense text the
            # pattern alone fires ~70 times per 1,000 tokens.
            gate=re.compile(r"[a-z]{2}\d{2}(?:[ ]?[a-z0-9]{4}){2}"),
        ),
        PatternRecognizer(
            entity=EntityType.IP_ADDRESS,
            pattern=re.compile(r"(?:\d{1,3}\.){3}\d{1,3}(?![\w:]|\.\d)"),
            score=0.95,
            check=_check_ipv4,
            needs_digit=True,
            not_after=re.compile(r"[\w.:]"),
            min_digits=4,
        ),
        PatternRecognizer(
            entity=EntityType.IP_ADDRESS,
            pattern=re.compile(r":[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){1,6}(?![\w:]|\.\d)"),
            score=0.95,
            check=_check_ipv6,
            needs_digit=True,
            lowered=True,
        ),
        PatternRecognizer(
            entity=EntityType.PHONE,
            pattern=re.compile(
                # At least 7 digits ahead (checked in C before any Python check runs); digit
                # runs are possessive, since splitting one can never end a valid match.
                r"(?=[+(]?(?:[ .()-]{0,3}\d){7})"
                r"(?P<num>(?:\+\d{1,3}+[ .-]?)?(?:\(0\)[ ]?)?(?:\(\d{1,5}+\)[ .-]?)?"
                r"\d{1,12}+(?:[ .-]\d{1,5}+){0,5})"
                r"(?P<ext>[ ]?(?:x|ext\.?|extension)[ ]?\d{1,5})?(?![\w]|[.-]\d)"
            ),
            score=1.0,
            check=_check_phone,
            needs_digit=True,
            not_after=re.compile(r"[\w.+/-]"),
            min_digits=7,
            # The pattern's look-ahead: seven digits, at most three separators apart.
            gate=re.compile(r"(?:[ .()-]{0,3}\d){7}"),
        ),
        PatternRecognizer(
            entity=EntityType.STREET_ADDRESS,
            pattern=re.compile(
                r"\d{1,6}+[A-Za-z]?,?\s+(?:[A-Z][\w'.-]*\s+){1,4}?"
                r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way"
                r"|Place|Pl|Square|Sq|Terrace|Parkway|Pkwy|Highway|Hwy|Circle|Trail|Crescent"
                r"|Close|Row|Alley|Plaza|Gardens|Mews|Walk|Hill|Park)s?\b\.?"
                r"(?:,?\s+(?:Apt|Apartment|Suite|Unit|Flat)\.?\s*#?\d+\w?)?"
            ),
            score=0.85,
            needs_digit=True,
            not_after=re.compile(r"[\w-]"),
        ),
    )


def _secret_recognizers() -> tuple[PatternRecognizer, ...]:
    """Keys, tokens and passwords."""
    return (
        PatternRecognizer(
            entity=EntityType.PRIVATE_KEY,
            pattern=re.compile(
                r"-----BEGIN[A-Z ]*PRIVATE KEY(?: BLOCK)?-----.*?"
                r"(?:-----END[A-Z ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
                re.DOTALL,
            ),
            score=1.0,
        ),
        PatternRecognizer(
            entity=EntityType.API_KEY,
            pattern=re.compile(
                r"(?:sk-(?:proj-|ant-(?:api\d\d-)?)?[A-Za-z0-9_-]{20,}"
                r"|(?:AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{22,}"
                r"|xox[abposr]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|glpat-[\w-]{20,}"
                r"|hf_[A-Za-z0-9]{30,}|(?:sk|rk)_(?:live|test)_[0-9a-zA-Z]{16,}|npm_[A-Za-z0-9]{36}"
                r"|SG\.[\w-]{16,}\.[\w-]{16,})"
            ),
            score=1.0,
            triggers=API_KEY_PREFIXES,
            not_after=re.compile(r"[\w-]"),
        ),
        PatternRecognizer(
            entity=EntityType.ACCESS_TOKEN,
            pattern=re.compile(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}"),
            score=1.0,
            not_after=re.compile(r"[\w-]"),
        ),
        PatternRecognizer(
            entity=EntityType.ACCESS_TOKEN,
            pattern=re.compile(r"bearer\s+(?P<v>[a-z0-9._~+/-]{16,}=*)"),
            score=0.9,
            check=_check_secret_value,
            lowered=True,
            not_after=WORD_CHAR,
        ),
        PatternRecognizer(
            entity=EntityType.API_KEY,
            pattern=re.compile(
                r"(?:api[_-]?key|apikey|secret(?:[_-]?key)?|access[_-]?key(?:[_-]?id)?"
                r"|client[_-]?secret|auth[_-]?token|access[_-]?token|token)"
                r"[\"']?\s*[:=]\s*[\"']?(?P<v>[a-z0-9_\-./+=]{12,})"
            ),
            score=0.9,
            check=_check_secret_value,
            triggers=("key", "secret", "token"),
            lowered=True,
        ),
        PatternRecognizer(
            entity=EntityType.PASSWORD,
            pattern=re.compile(
                r"(?:password|passwd|pwd|passphrase|passcode)[\"']?"
                r"(?:\s*[:=]\s*|\s+(?:is|was)\s+)"
                r"(?:[\"'](?P<q>[^\s\"']{4,64})[\"']|(?P<v>(?=[^\s\"'`,;()\[\]{}]*\d)"
                r"[^\s\"'`,;()\[\]{}]{4,64}(?<![.!?])))"
            ),
            score=0.95,
            lowered=True,
            not_after=WORD_CHAR,
        ),
        PatternRecognizer(
            entity=EntityType.PASSWORD,
            # scheme://user:password@host
            pattern=re.compile(r"://[^\s:/@]+:(?P<v>[^\s@/]{3,})@"),
            score=0.95,
        ),
    )


def _keyed_recognizers() -> tuple[PatternRecognizer, ...]:
    """Identifiers recognisable only by a keyword before them, and names after a cue."""
    return (
        _keyed_recognizer(EntityType.PASSPORT, r"passport", _PASSPORT_VALUE, score=0.95),
        _keyed_recognizer(
            EntityType.DRIVER_LICENSE,
            r"driver'?s?\s*licen[cs]e|driving\s*licen[cs]e|dl|licen[cs]e\s*(?:no|number|#)",
            _ID_VALUE,
            score=0.9,
            check=_has_digits(4),
        ),
        _keyed_recognizer(
            EntityType.ROUTING_NUMBER,
            r"routing|aba|rtn",
            r"\d{9}(?!\d)",
            score=1.0,
            check=_check_routing,
        ),
        _keyed_recognizer(
            EntityType.BANK_ACCOUNT,
            r"account\s*(?:no|number|num|#)|acct|a/c|bank\s*account",
            r"\d(?:[ -]?\d){5,16}(?![\w]|[.-]\d)",
            score=0.9,
        ),
        _keyed_recognizer(
            EntityType.MEDICAL_RECORD,
            r"medical\s*record|mrn|patient\s*(?:id|no|number|#)|chart\s*(?:no|number|#)"
            r"|health\s*record|npi",
            _ID_VALUE,
            score=0.95,
            check=_has_digits(4),
        ),
        _keyed_recognizer(
            EntityType.INSURANCE_ID,
            r"insurance|member\s*id|policy\s*(?:no|number|#)|subscriber\s*id|medicare"
            r"|medicaid|nhs\s*(?:no|number)|group\s*(?:no|number|#)",
            _ID_VALUE,
            score=0.9,
            check=_has_digits(4),
        ),
        _keyed_recognizer(
            EntityType.DATE_OF_BIRTH,
            r"date\s*of\s*birth|dob|d\.o\.b|born|birth\s*date|birthday",
            _DATE,
            score=0.95,
        ),
        *(
            PatternRecognizer(
                entity=EntityType.PERSON,
                pattern=re.compile(rf"{cue}[ \t]+{_NAME_AFTER_CUE}"),
                score=0.9,
                check=_check_name,
                lowered=True,
                not_after=WORD_CHAR,
            )
            # One pattern per cue: a literal start lets `re` jump between occurrences.
            for cue in (
                r"my\s+name\s+is",
                r"calls?\s+me",
                r"name\s*:",
                r"dear",
                r"sincerely,?",
                r"regards,?",
                r"mrs?\.?",
                r"ms\.?",
                r"miss",
                r"dr\.?",
                r"prof\.?",
            )
        ),
    )


def _keyed_recognizer(
    entity: EntityType, keywords: str, value: str, *, score: float, check: Check | None = None
) -> PatternRecognizer:
    """A keyword-introduced identifier; digits are required (every value has some)."""
    return PatternRecognizer(
        entity=entity,
        pattern=_keyed(keywords, value),
        score=score,
        check=check,
        needs_digit=True,
        lowered=True,
        not_after=WORD_CHAR,
    )


_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}})(?!\d)"
)
_NAME_AFTER_CUE = r"(?P<v>[^\W\d_][\w'\u2019-]*(?:[ \t]+[^\W\d_][\w'\u2019-]*){0,2})"
_ID_VALUE = r"(?=[a-z0-9-]{0,19}\d)[a-z0-9][a-z0-9-]{3,18}[a-z0-9](?![\w-])"
_PASSPORT_VALUE = r"(?=[a-z0-9]{0,8}\d)[a-z0-9]{6,9}(?![\w-])"
_DIGIT = re.compile(r"\d")
_NUMBER_RUN = re.compile(r"\d[\d .()/+:-]*")
# The same runs, only those with more than {} further digits (a run with fewer is skipped in C).
_RUN_OF_DIGITS = r"\d(?:[ .()/+:-]*\d){{{},}}[ .()/+:-]*"
_HEX = frozenset("0123456789abcdef")
_EMAIL_LOCAL = re.compile(r"[\w.%+-]")
_NUMBER_JOINER = re.compile(r"[\w.+-]")
_WORD = re.compile(r"[^\s.,;:!?]+")
_PHONE_SEP = re.compile(r"[ .-]")
_NANP = re.compile(r"(?:\+?1[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}")
# Dates, SSN-shaped and dotted-quad numbers are not phones (other recognizers own them).
_NOT_PHONE = re.compile(
    r"\d{4}[-.]\d{1,2}[-.]\d{1,2}|\d{1,2}[-.]\d{1,2}[-.]\d{4}|\d{3}-\d{2}-\d{4}"
    r"|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"
)

CARD_WORDS = ("card", "cc", "visa", "mastercard", "amex", "credit", "debit", "payment", "pan")
SSN_WORDS = ("ssn", "social security", "social sec", "ss#", "taxpayer", "tin")
PHONE_WORDS = (
    "phone",
    "tel",
    "call",
    "mobile",
    "cell",
    "fax",
    "desk",
    "office",
    "reach",
    "text me",
    "sms",
    "whatsapp",
    "contact",
    "number",
    "messages to",
    "answering at",
    "dial",
    "ring",
)
PHONE_AFTER_WORDS = ("office", "fax", "mobile", "cell", "home", "work")
API_KEY_PREFIXES = (
    "sk-",
    "akia",
    "asia",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "xox",
    "aiza",
    "glpat-",
    "hf_",
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "rk_test_",
    "npm_",
    "sg.",
)


def _any_of(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in words))


_CARD_CONTEXT = _any_of(CARD_WORDS)
_SSN_CONTEXT = _any_of(SSN_WORDS)
_PHONE_CONTEXT = _any_of(PHONE_WORDS)
_PHONE_AFTER = _any_of(PHONE_AFTER_WORDS)
