"""Structured identifiers found by regular expressions, confirmed by checksums and context.

Each recognizer is a compiled pattern plus an optional check that turns a match into a
confidence (or rejects it). Cheap substring triggers skip a pattern when its keyword is absent,
which keeps a 1,000-token scan well under a millisecond.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from hybridroute.privacy import checksums
from hybridroute.privacy.entities import Entity, EntityType

# A check receives the match and the lowered text; it returns a confidence, or a confidence
# with a corrected (start, end) span, or None to reject the match.
Check = Callable[[re.Match[str], str], float | tuple[float, int, int] | None]


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

    def find(self, text: str, lowered: str, has_digit: bool) -> Iterator[Entity]:
        if self.needs_digit and not has_digit:
            return
        if self.triggers and not any(t in lowered for t in self.triggers):
            return
        for match in self.pattern.finditer(text):
            verdict = self.score if self.check is None else self.check(match, lowered)
            if verdict is None:
                continue
            if isinstance(verdict, tuple):
                score, start, end = verdict
            else:
                score, (start, end) = verdict, _value_span(match)
            if start < end:
                yield Entity(type=self.entity, start=start, end=end, score=score)


class StructuredDetector:
    """Runs every pattern recognizer over a text; the fast mode's only detector."""

    name = "structured"

    def __init__(self, recognizers: Sequence[PatternRecognizer] | None = None) -> None:
        self.recognizers = tuple(recognizers) if recognizers is not None else default_recognizers()

    def detect(self, text: str) -> list[Entity]:
        lowered = text.lower()
        has_digit = _DIGIT.search(text) is not None
        found: list[Entity] = []
        for recognizer in self.recognizers:
            found.extend(recognizer.find(text, lowered, has_digit))
        return found


def _value_span(match: re.Match[str]) -> tuple[int, int]:
    """The span of the value group (`v`, or `q` for a quoted value), else the whole match."""
    for name in ("v", "q"):
        if name in match.re.groupindex and match.start(name) >= 0:
            return match.span(name)
    return match.span(0)


def _context_before(lowered: str, start: int, words: tuple[str, ...], window: int = 48) -> bool:
    """One of `words` occurs on the same line within `window` characters before `start`."""
    left = lowered[max(0, start - window) : start]
    left = left[left.rfind("\n") + 1 :]
    return any(word in left for word in words)


def _check_card(match: re.Match[str], lowered: str) -> float | None:
    number = checksums.digits_of(match.group(0))
    if not 12 <= len(number) <= 19 or not checksums.luhn_valid(number):
        return None
    if len(set(number)) == 1:
        return None
    in_context = _context_before(lowered, match.start(), CARD_WORDS)
    if checksums.card_issuer_known(number) and (len(number) >= 13 or in_context):
        return 1.0
    return 0.9 if in_context else None


def _check_ssn(match: re.Match[str], lowered: str) -> float | None:
    if not checksums.ssn_valid(match["area"], match["group"], match["serial"]):
        return None
    in_context = _context_before(lowered, match.start(), SSN_WORDS)
    if match["sep"] == "-":
        return 1.0 if in_context else 0.9
    return 1.0 if in_context else None


def _check_iban(match: re.Match[str], lowered: str) -> tuple[float, int, int] | None:
    # A grouped IBAN may be followed by a 4-character word the pattern swallowed: drop
    # trailing groups until the checksum holds.
    value = match.group(0)
    while value:
        if checksums.iban_valid(value):
            return 1.0, match.start(), match.start() + len(value)
        cut = value.rfind(" ")
        if cut < 0:
            return None
        value = value[:cut]
    return None


def _check_ip(match: re.Match[str], lowered: str) -> float | None:
    value = match.group(0)
    if not checksums.ip_valid(value):
        return None
    if ":" in value and sum(1 for part in value.split(":") if part) < 3:
        return None
    # Private, loopback and documentation addresses identify no one outside a network.
    return 0.6 if checksums.ip_is_internal(value) else 0.95


def _check_phone(match: re.Match[str], lowered: str) -> float | None:
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
    before = _context_before(lowered, match.start(), PHONE_WORDS)
    after = any(w in lowered[match.end() : match.end() + 12] for w in PHONE_AFTER_WORDS)
    in_context = before or after
    if strong:
        return 1.0 if in_context else 0.85
    if in_context:
        return 0.85
    return None


def _has_digits(minimum: int) -> Check:
    def check(match: re.Match[str], lowered: str) -> float | None:
        value = match["v"] if "v" in match.re.groupindex else match.group(0)
        return 0.9 if sum(ch.isdigit() for ch in value) >= minimum else None

    return check


def _check_routing(match: re.Match[str], lowered: str) -> float | None:
    return 1.0 if checksums.aba_routing_valid(match["v"]) else None


def _check_secret_value(match: re.Match[str], lowered: str) -> float | None:
    value = match["v"]
    if not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return None
    return 0.9


def _check_name(match: re.Match[str], lowered: str) -> tuple[float, int, int] | None:
    # Keep the leading capitalised words: "Dear John Smith, thanks" -> "John Smith".
    start = match.start("v")
    end = start
    for word in _WORD.finditer(match["v"]):
        if not word.group(0)[0].isupper():
            break
        end = start + word.end()
    return (0.9, start, end) if end > start else None


def _keyed(keywords: str, value: str, *, gap: int = 24) -> re.Pattern[str]:
    """Keyword (any case) then, on the same line and within `gap` characters, the value `v`."""
    return re.compile(rf"(?i:\b(?:{keywords}))[^\n]{{0,{gap}}}?(?P<v>{value})")


def default_recognizers() -> tuple[PatternRecognizer, ...]:
    """The built-in structured recognizers, in no particular order (overlaps resolve later)."""
    return (
        PatternRecognizer(
            entity=EntityType.EMAIL,
            pattern=re.compile(
                r"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])"
            ),
            score=1.0,
            triggers=("@",),
        ),
        PatternRecognizer(
            entity=EntityType.CREDIT_CARD,
            pattern=re.compile(r"(?<![\w.+-])\d(?:[ -]?\d){11,18}(?![\w]|[.-]\d)"),
            score=1.0,
            check=_check_card,
            needs_digit=True,
        ),
        PatternRecognizer(
            entity=EntityType.US_SSN,
            pattern=re.compile(
                r"(?<![\w.+-])(?P<area>\d{3})(?P<sep>[- ]?)(?P<group>\d{2})(?P=sep)"
                r"(?P<serial>\d{4})(?![\w]|[.-]\d)"
            ),
            score=1.0,
            check=_check_ssn,
            needs_digit=True,
        ),
        PatternRecognizer(
            entity=EntityType.IBAN,
            pattern=re.compile(
                r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]{4}){2,7}"
                r"(?:[ ]?[A-Za-z0-9]{1,3})?(?![A-Za-z0-9])"
            ),
            score=1.0,
            check=_check_iban,
            needs_digit=True,
        ),
        PatternRecognizer(
            entity=EntityType.IP_ADDRESS,
            pattern=re.compile(
                r"(?<![\w.:])(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})"
                r"(?![\w:]|\.\d)"
            ),
            score=0.95,
            check=_check_ip,
            needs_digit=True,
        ),
        PatternRecognizer(
            entity=EntityType.PHONE,
            pattern=re.compile(
                r"(?<![\w.+/-])(?P<num>(?:\+\d{1,3}[ .-]?)?(?:\(0\)[ ]?)?(?:\(\d{1,5}\)[ .-]?)?"
                r"\d{1,12}(?:[ .-]\d{1,5}){0,5})"
                r"(?P<ext>[ ]?(?:x|ext\.?|extension)[ ]?\d{1,5})?(?![\w]|[.-]\d)"
            ),
            score=1.0,
            check=_check_phone,
            needs_digit=True,
        ),
        PatternRecognizer(
            entity=EntityType.PRIVATE_KEY,
            pattern=re.compile(
                r"-----BEGIN[A-Z ]*PRIVATE KEY(?: BLOCK)?-----.*?"
                r"(?:-----END[A-Z ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
                re.DOTALL,
            ),
            score=1.0,
            triggers=("private key",),
        ),
        PatternRecognizer(
            entity=EntityType.API_KEY,
            pattern=re.compile(
                r"(?<![\w-])(?:sk-(?:proj-|ant-(?:api\d\d-)?)?[A-Za-z0-9_-]{20,}"
                r"|(?:AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{22,}"
                r"|xox[abposr]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|glpat-[\w-]{20,}"
                r"|hf_[A-Za-z0-9]{30,}|(?:sk|rk)_(?:live|test)_[0-9a-zA-Z]{16,}|npm_[A-Za-z0-9]{36}"
                r"|SG\.[\w-]{16,}\.[\w-]{16,})"
            ),
            score=1.0,
            triggers=API_KEY_PREFIXES,
        ),
        PatternRecognizer(
            entity=EntityType.ACCESS_TOKEN,
            pattern=re.compile(r"(?<![\w-])eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}"),
            score=1.0,
            triggers=("eyj",),
        ),
        PatternRecognizer(
            entity=EntityType.ACCESS_TOKEN,
            pattern=re.compile(r"(?i:\bbearer)\s+(?P<v>[A-Za-z0-9._~+/-]{16,}=*)"),
            score=0.9,
            check=_check_secret_value,
            triggers=("bearer",),
        ),
        PatternRecognizer(
            entity=EntityType.API_KEY,
            pattern=re.compile(
                r"(?i:(?:api[_-]?key|apikey|secret(?:[_-]?key)?|access[_-]?key(?:[_-]?id)?"
                r"|client[_-]?secret|auth[_-]?token|access[_-]?token|token))"
                r"[\"']?\s*[:=]\s*[\"']?(?P<v>[A-Za-z0-9_\-./+=]{12,})"
            ),
            score=0.9,
            check=_check_secret_value,
            triggers=("key", "secret", "token"),
        ),
        PatternRecognizer(
            entity=EntityType.PASSWORD,
            pattern=re.compile(
                r"(?i:\b(?:password|passwd|pwd|passphrase|passcode))[\"']?"
                r"(?:\s*[:=]\s*|\s+(?i:is|was)\s+)"
                r"(?:[\"'](?P<q>[^\s\"']{4,64})[\"']|(?P<v>(?=[^\s\"'`,;()\[\]{}]*\d)"
                r"[^\s\"'`,;()\[\]{}]{4,64}(?<![.!?])))"
            ),
            score=0.95,
            triggers=("pass", "pwd"),
        ),
        PatternRecognizer(
            entity=EntityType.PASSWORD,
            pattern=re.compile(r"(?i:\b[a-z][a-z0-9+.-]*://)[^\s:/@]+:(?P<v>[^\s@/]{3,})@"),
            score=0.95,
            triggers=("://",),
        ),
        PatternRecognizer(
            entity=EntityType.PASSPORT,
            pattern=_keyed(r"passport", r"(?i:(?=[A-Z0-9]{0,8}\d)[A-Z0-9]{6,9})(?![\w-])"),
            score=0.95,
            triggers=("passport",),
        ),
        PatternRecognizer(
            entity=EntityType.DRIVER_LICENSE,
            pattern=_keyed(
                r"driver'?s?\s*licen[cs]e|driving\s*licen[cs]e|DL|licen[cs]e\s*(?:no|number|#)",
                r"(?i:(?=[A-Z0-9-]{0,19}\d)[A-Z0-9][A-Z0-9-]{3,18}[A-Z0-9])(?![\w-])",
            ),
            score=0.9,
            check=_has_digits(4),
            triggers=("licen", "dl"),
        ),
        PatternRecognizer(
            entity=EntityType.ROUTING_NUMBER,
            pattern=_keyed(r"routing|aba|rtn", r"\d{9}(?!\d)"),
            score=1.0,
            check=_check_routing,
            triggers=("routing", "aba", "rtn"),
        ),
        PatternRecognizer(
            entity=EntityType.BANK_ACCOUNT,
            pattern=_keyed(
                r"account\s*(?:no|number|num|#)|acct|a/c|bank\s*account",
                r"\d(?:[ -]?\d){5,16}(?![\w]|[.-]\d)",
            ),
            score=0.9,
            triggers=("account", "acct", "a/c"),
        ),
        PatternRecognizer(
            entity=EntityType.MEDICAL_RECORD,
            pattern=_keyed(
                r"medical\s*record|mrn|patient\s*(?:id|no|number|#)|chart\s*(?:no|number|#)"
                r"|health\s*record|npi",
                r"(?i:(?=[A-Z0-9-]{0,19}\d)[A-Z0-9][A-Z0-9-]{3,18}[A-Z0-9])(?![\w-])",
            ),
            score=0.95,
            check=_has_digits(4),
            triggers=("medical record", "mrn", "patient", "chart", "health record", "npi"),
        ),
        PatternRecognizer(
            entity=EntityType.INSURANCE_ID,
            pattern=_keyed(
                r"insurance|member\s*id|policy\s*(?:no|number|#)|subscriber\s*id|medicare"
                r"|medicaid|nhs\s*(?:no|number)|group\s*(?:no|number|#)",
                r"(?i:(?=[A-Z0-9-]{0,19}\d)[A-Z0-9][A-Z0-9-]{3,18}[A-Z0-9])(?![\w-])",
            ),
            score=0.9,
            check=_has_digits(4),
            triggers=(
                "insurance",
                "member id",
                "policy",
                "subscriber",
                "medicare",
                "medicaid",
                "nhs",
                "group",
            ),
        ),
        PatternRecognizer(
            entity=EntityType.DATE_OF_BIRTH,
            pattern=_keyed(r"date\s*of\s*birth|dob|d\.o\.b|born|birth\s*date|birthday", _DATE),
            score=0.95,
            triggers=("birth", "dob", "d.o.b", "born"),
        ),
        PatternRecognizer(
            entity=EntityType.STREET_ADDRESS,
            pattern=re.compile(
                r"(?<![\w-])\d{1,6}[A-Za-z]?,?\s+(?:[A-Z][\w'.-]*\s+){1,4}?"
                r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way"
                r"|Place|Pl|Square|Sq|Terrace|Parkway|Pkwy|Highway|Hwy|Circle|Trail|Crescent"
                r"|Close|Row|Alley|Plaza|Gardens|Mews|Walk|Hill|Park)s?\b\.?"
                r"(?:,?\s+(?:Apt|Apartment|Suite|Unit|Flat)\.?\s*#?\d+\w?)?"
            ),
            score=0.85,
            needs_digit=True,
        ),
        PatternRecognizer(
            entity=EntityType.PERSON,
            pattern=re.compile(
                r"(?i:\bmy\s+name\s+is|\bname\s*:|\bdear|\bsincerely,?|\bregards,?"
                r"|\b(?:mr|mrs|ms|miss|dr|prof)\.?)[ \t]+"
                r"(?P<v>[^\W\d_][\w'\u2019-]*(?:[ \t]+[^\W\d_][\w'\u2019-]*){0,2})"
            ),
            score=0.9,
            check=_check_name,
            triggers=("name", "dear", "sincerely", "regards", "mr", "ms", "dr", "prof", "miss"),
        ),
    )


_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (
    r"(?i:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}})(?!\d)"
)
_DIGIT = re.compile(r"\d")
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
