"""The built-in structured recognizers (card, SSN, IBAN, IP, e-mail, phone, address, secrets,
keyed identifiers, name cues) and the detector that runs them behind the Hyperscan prefilter.

The matching engine is `pattern_recognizer.py`; the checks that confirm a match are
`identifier_checks.py`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hybridroute.privacy import identifier_checks as checks
from hybridroute.privacy.entities import Entity, EntityType
from hybridroute.privacy.matching import WORD_CHAR, lower_aligned
from hybridroute.privacy.national_ids import national_id_recognizers
from hybridroute.privacy.pattern_recognizer import Check, PatternRecognizer, number_runs
from hybridroute.privacy.prefilter import FilterPattern, Prefilter


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
                    windowed=not r.min_digits and (r.gate is None or r.gate_starts_match),
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


def _strong_password(pattern: str) -> PatternRecognizer:
    """A password in a shape where only its own look makes it one (see `_secret_recognizers`)."""
    return _password(pattern, checks.strong_password, score=0.9, lowered=True, needs_digit=True)


def _command_password(pattern: str) -> PatternRecognizer:
    """A password on a command line (see `_COMMAND_PASSWORDS`); flags keep their case."""
    return _password(pattern, checks.command_password, score=0.95)


def _password(
    pattern: str,
    check: Check,
    *,
    score: float,
    lowered: bool = False,
    needs_digit: bool = False,
    not_after: re.Pattern[str] | None = WORD_CHAR,
) -> PatternRecognizer:
    return PatternRecognizer(
        entity=EntityType.PASSWORD,
        pattern=re.compile(pattern),
        score=score,
        check=check,
        needs_digit=needs_digit,
        lowered=lowered,
        not_after=not_after,
    )


def _keyed(keywords: str, value: str, *, gap: int = 24) -> re.Pattern[str]:
    """Lower-case keyword then, on the same line and within `gap` characters, the value `v`."""
    return re.compile(rf"(?:{keywords})[^\n]{{0,{gap}}}?(?P<v>{value})")


def default_recognizers() -> tuple[PatternRecognizer, ...]:
    """The built-in structured recognizers, in no particular order (overlaps resolve later)."""
    return (
        *_digit_recognizers(),
        *_secret_recognizers(),
        *_keyed_recognizers(),
        *national_id_recognizers(),
    )


def _digit_recognizers() -> tuple[PatternRecognizer, ...]:
    """Numbers validated by checksums or shape: card, SSN, IBAN, IP, phone, address."""
    return (
        PatternRecognizer(
            entity=EntityType.EMAIL,
            pattern=re.compile(r"@ ?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?![\w-])"),
            score=1.0,
            check=checks.email,
            lowered=True,
        ),
        PatternRecognizer(
            entity=EntityType.EMAIL,
            # Written out against harvesters: "jo.smith (at) example (dot) com", "jo[at]x.io",
            # "jo.smith at example dot com". The pattern starts at the "at" (a literal start
            # keeps `re` fast); the check takes in the local part before it.
            pattern=re.compile(
                r"(?:[(\[{]at[)\]}] ?[a-z0-9-]+(?:(?: ?[(\[{]dot[)\]}] ?|\.)[a-z0-9-]+)+"
                r"|at [a-z0-9-]+(?: dot [a-z0-9-]+)+)(?![\w-])"
            ),
            score=0.9,
            check=checks.written_out_email,
            lowered=True,
        ),
        PatternRecognizer(
            entity=EntityType.CREDIT_CARD,
            # Letters may touch the number ("card:4111…1111exp 12/25"); the check decides.
            pattern=re.compile(r"\d(?:[ -]?\d){11,18}(?![\d_]|[.-]\d)"),
            score=1.0,
            check=checks.card,
            needs_digit=True,
            not_after=_DIGIT_JOINER,
            min_digits=12,
        ),
        PatternRecognizer(
            entity=EntityType.CREDIT_CARD,
            # Dotted groups ("4111.1111.1111.1111") only in a card's grouping, since a run of
            # digits and dots is otherwise a decimal or a version.
            pattern=re.compile(
                r"(?:\d{4}(?:\.\d{4}){3}(?:\.\d{1,3})?|\d{4}\.\d{6}\.\d{4,5})(?![\d_]|[.-]\d)"
            ),
            score=1.0,
            check=checks.card,
            needs_digit=True,
            not_after=_DIGIT_JOINER,
            min_digits=12,
        ),
        PatternRecognizer(
            entity=EntityType.US_SSN,
            pattern=re.compile(
                r"(?P<area>\d{3})(?P<sep>[- .]?)(?P<group>\d{2})(?P=sep)"
                r"(?P<serial>\d{4})(?![\w]|[.-]\d)"
            ),
            score=1.0,
            check=checks.ssn,
            needs_digit=True,
            not_after=_NUMBER_JOINER,
            min_digits=9,
        ),
        PatternRecognizer(
            entity=EntityType.IBAN,
            pattern=re.compile(r"\d{2}(?:[ ]?[a-z0-9]{4}){2,7}(?:[ ]?[a-z0-9]{1,3})?(?![a-z0-9])"),
            score=1.0,
            check=checks.iban,
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
            check=checks.ipv4,
            needs_digit=True,
            not_after=re.compile(r"[\w.:]"),
            min_digits=4,
        ),
        PatternRecognizer(
            entity=EntityType.IP_ADDRESS,
            pattern=re.compile(r":[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){1,6}(?![\w:]|\.\d)"),
            score=0.95,
            check=checks.ipv6,
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
                r"\d{1,12}+(?:[ .-]\d{1,10}+){0,5})"
                r"(?P<ext>[ ]?(?:x|ext\.?|extension)[ ]?\d{1,5})?(?![\w]|[.-]\d)"
            ),
            score=1.0,
            check=checks.phone,
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
        *_international_address_recognizers(),
    )


def _international_address_recognizers() -> tuple[PatternRecognizer, ...]:
    """Street lines outside the US shape, unit numbers and US military mail: each form is
    specific enough alone (a street word with a house number, "Apt. 12", "PSC 1234, Box")."""
    word_boundary = re.compile(r"[\w-]")
    return (
        # "Friedhofstrasse 33", "Vesterskovvej 79", "Östbygatan 14", "Rákóczi út 66.": the
        # pattern starts at the street word (fast to find); the check walks back to the
        # capitalised name and keeps it in the span.
        PatternRecognizer(
            entity=EntityType.STREET_ADDRESS,
            pattern=re.compile(
                rf"(?:{_STREET_SUFFIXES}|(?<= )(?:{_STREET_WORDS_AFTER_NAME}))"
                rf"\s{{1,2}}{_HOUSE_NUMBER}"
            ),
            score=0.8,
            check=checks.street_line,
            needs_digit=True,
        ),
        # "Via Roma 12", "Calle de Alcalá 5", "rue de la Paix" after a house number.
        PatternRecognizer(
            entity=EntityType.STREET_ADDRESS,
            pattern=re.compile(
                rf"(?:{_STREET_TYPES_BEFORE_NAME})"
                # the name: particles, then one to three capitalised words ("de Alcalá")
                r" (?:(?:de|del|della|dei|degli|delle|dello|di|da|do|dos|das|la|las|los|el|le"
                r"|les|des|du|l') ?)*"
                rf"[{_CAPITAL}][\w'.-]*(?: [{_CAPITAL}][\w'.-]*){{0,2}},? {_HOUSE_NUMBER}"
                rf"|\d{{1,5}},? (?:{_STREET_TYPES_AFTER_NUMBER}) "
                r"(?:(?:de|du|des|la|le|les|l'|d') ?)*"
                rf"[{_CAPITAL}][\w'-]*(?: [{_CAPITAL}][\w'-]*){{0,2}}"
            ),
            score=0.8,
            needs_digit=True,
            not_after=word_boundary,
            # The capital classes above do not fold for Hyperscan; the street types do.
            gate=re.compile(
                rf"(?:{_STREET_TYPES_BEFORE_NAME}) |\d{{1,5}},? (?:{_STREET_TYPES_AFTER_NUMBER}) "
            ),
            gate_starts_match=True,
        ),
        # "Apt. 805", "Apartment 3B"
        PatternRecognizer(
            entity=EntityType.STREET_ADDRESS,
            pattern=re.compile(r"(?:Apt\.|Apartment) ?#?\d{1,5}[A-Z]?(?!\w)"),
            score=0.75,
            needs_digit=True,
            not_after=word_boundary,
        ),
        # "Suite 894" only on its own line or after a comma ("Cello Suite 1" is music).
        PatternRecognizer(
            entity=EntityType.STREET_ADDRESS,
            pattern=re.compile(r"[,\n][ \t]*(?P<v>Suite ?#?\d{1,5}[A-Z]?)(?!\w)"),
            score=0.75,
            needs_digit=True,
        ),
        # US military mail: "PSC 5420, Box 2708", "APO AA 33879", "USCGC Khadzhiyev"
        PatternRecognizer(
            entity=EntityType.STREET_ADDRESS,
            pattern=re.compile(
                r"(?:PSC|Unit) \d{4},? Box \d{4}|(?:APO|FPO|DPO) (?:AA|AE|AP) \d{5}"
                r"|(?:USNS|USNV|USS|USCGC) [A-Z][a-z]+"
            ),
            score=0.85,
            not_after=word_boundary,
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
            entity=EntityType.API_KEY,
            # More providers' documented shapes: Slack webhooks, PyPI, DigitalOcean, Mailgun,
            # Notion, Firebase Cloud Messaging (legacy server keys).
            pattern=re.compile(
                r"(?:hooks\.slack\.com/services/T[A-Z0-9]{8,}/B[A-Z0-9]{8,}/[A-Za-z0-9]{20,}"
                r"|pypi-AgE[\w-]{50,}|do[opr]_v1_[0-9a-f]{64}|key-[0-9a-f]{32}"
                r"|(?:secret|ntn)_[A-Za-z0-9]{43,46}|AAAA[\w-]{7}:APA91b[\w-]{100,})"
            ),
            score=1.0,
            triggers=("hooks.slack.com", "pypi-age", "_v1_", "key-", "secret_", "ntn_", ":apa91b"),
            not_after=re.compile(r"[\w-]"),
        ),
        PatternRecognizer(
            entity=EntityType.API_KEY,
            # Telegram bot tokens: the bot's id, ":", "AA" and 33 more characters.
            pattern=re.compile(r"\d{8,10}:AA[\w-]{33}(?![\w-])"),
            score=1.0,
            needs_digit=True,
            not_after=re.compile(r"\d"),
        ),
        PatternRecognizer(
            entity=EntityType.API_KEY,
            # Discord bot tokens: the base64 user id (starting "M" or "N"), a timestamp and an
            # HMAC, joined by dots.
            pattern=re.compile(r"(?P<v>[MN][\w-]{23,25}\.[\w-]{6}\.[\w-]{27,38})(?![\w-])"),
            score=0.95,
            check=checks.secret_value,
            needs_digit=True,
            not_after=re.compile(r"[\w.-]"),
        ),
        PatternRecognizer(
            entity=EntityType.API_KEY,
            # Azure storage and Service Bus connection strings; Okta API tokens.
            pattern=re.compile(
                r"(?:(?:accountkey|sharedaccesskey)=|ssws\s+)(?P<v>[a-z0-9+/_-]{40,}={0,2})"
            ),
            score=1.0,
            lowered=True,
            triggers=("accountkey=", "sharedaccesskey=", "ssws"),
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
            check=checks.secret_value,
            lowered=True,
            not_after=WORD_CHAR,
        ),
        PatternRecognizer(
            entity=EntityType.API_KEY,
            pattern=re.compile(
                r"(?:api[ _-]?key|apikey|secret(?:[_-]?key)?|access[_-]?key(?:[_-]?id)?"
                r"|client[_-]?secret|auth[_-]?token|access[_-]?token|token)"
                r"[\"']?(?:\s*[:=]\s*|\s+(?:is|was)\s+)[\"']?(?P<v>[a-z0-9_\-./+=]{12,})"
            ),
            score=0.9,
            check=checks.secret_value,
            triggers=("key", "secret", "token"),
            lowered=True,
        ),
        PatternRecognizer(
            entity=EntityType.API_KEY,
            # A short secret in an environment or config line, the keyword ending an
            # upper-case name (`JWT_SECRET=mysecret123`, `API_KEY=abc123de`); from 12
            # characters on the keyword recognizer above finds it anywhere.
            pattern=re.compile(
                r"(?<![\w-])[A-Z0-9_]*(?:SECRET|TOKEN|API_?KEY)[ \t]*[:=][ \t]*[\"']?"
                r"(?P<v>[^\s\"'#,;]{8,11})(?![^\s\"'#,;])"
            ),
            score=0.9,
            check=checks.short_secret,
            triggers=("secret", "token", "key"),
        ),
        PatternRecognizer(
            entity=EntityType.PASSWORD,
            pattern=re.compile(
                rf"(?P<key>{_PASSWORD_WORDS})[\"']?(?:\s+{_FOR}\s+[^\n:=\"']{{1,30}}?)?"
                rf"(?P<sep>\s*[:=]\s*|\s+{_IS}\s+){_PASSWORD_VALUE}"
            ),
            score=0.95,
            check=checks.password,
            lowered=True,
            not_after=WORD_CHAR,
        ),
        PatternRecognizer(
            entity=EntityType.PASSWORD,
            # The keyword ending an identifier: `DB_PASSWORD=`, `POSTGRES_PASSWORD: …`,
            # `{"dbPassword": …}` (the check reads the case of the original text).
            pattern=re.compile(
                rf"(?P<key>{_PASSWORD_WORDS})[\"']?(?P<sep>\s*[:=]\s*){_PASSWORD_VALUE}"
            ),
            score=0.95,
            check=checks.password_in_identifier,
            lowered=True,
        ),
        # Looser shapes, strong values only (`checks.strong_password`): "with password
        # P@ssw0rd", "the password was changed to Autumn2024", "reset my password to
        # Tr0ub4dor&3", "my password is now Winter2024!". Not after "pass", "pw", "pwd" or
        # "passwd", which are also English or commands (`sudo passwd student01`).
        _strong_password(
            rf"(?:{_LOOSE_PASSWORD_WORDS})"
            r"(?:(?:\s+(?:was|is|has\s+been))?\s+(?:changed|set|reset|updated)\s+to"
            r"|\s+to|\s+is\s+now|[ \t]*(?:->|=>|→)|'s|(?=[ \t]))"
            rf"[ \t]+{_OPEN_QUOTE}?(?P<v>{_LOOSE_VALUE})"
        ),
        # "router admin pw to 8v#Tq!2zLr", "pwd changed to …".
        _strong_password(
            r"(?:pw|pwd)(?:\s+(?:was\s+)?(?:changed|set|reset|updated))?\s+to"
            rf"[ \t]+{_OPEN_QUOTE}?(?P<v>{_LOOSE_VALUE})"
        ),
        # One word between the keyword and its colon: "mot de passe temporaire : …", "Senha
        # provisória: …", "password (new): …" is not; a German compound ending in the keyword
        # ("Initialkennwort lautet: …", "WLAN-Passwort: …").
        _strong_password(
            rf"(?:{_LOOSE_PASSWORD_WORDS})[ \t]+[^\W\d_]{{3,15}}[ \t]*:[ \t]*"
            rf"{_OPEN_QUOTE}?(?P<v>{_LOOSE_VALUE})"
        ),
        _password(
            r"(?:passwort|kennwort)(?:\s+(?:lautet|ist))?\s*:?[ \t]+"
            rf"{_OPEN_QUOTE}?(?P<v>{_LOOSE_VALUE})",
            checks.strong_password_in_compound,
            score=0.9,
            lowered=True,
            needs_digit=True,
            not_after=None,
        ),
        # A login and its password: "login root / Tr0ub4dor&3", "creds are admin/Sup3rS3cret".
        _strong_password(
            rf"(?:{_LOGIN_WORDS})(?:\s+(?:is|are))?(?:\s*[:=][ \t]*|[ \t]+)"
            rf"[\w.@-]{{1,40}}(?:[ \t]*/[ \t]*|:)(?P<v>{_LOGIN_VALUE})"
        ),
        # "user bob pass Bob2024!", "ftp user bob password S3cret99".
        _strong_password(
            rf"(?:{_LOGIN_WORDS}|user)[ \t]+[\w.@-]{{1,40}}[ \t]+(?:{_PASSWORD_WORDS})[ \t]+"
            rf"(?P<v>{_LOGIN_VALUE})"
        ),
        # Passwords given to a command on its command line (the flag's case matters: `sqlcmd
        # -p` prints statistics, `mysql -p mydb` asks for the password).
        *(_command_password(pattern) for pattern in _COMMAND_PASSWORDS),
        PatternRecognizer(
            entity=EntityType.PASSWORD,
            # A PIN: "my pin is 4821", "PIN: 482913", "passcode 4821".
            pattern=re.compile(
                r"(?:pin|pin\s*(?:code|number|no\.?)|passcode)"
                r"(?:\s*[:=#]\s*|\s+(?:is|was)\s+|\s+)(?P<v>\d{4,8})(?![\w]|[.,-]\d)"
            ),
            score=0.9,
            needs_digit=True,
            lowered=True,
            not_after=WORD_CHAR,
        ),
        PatternRecognizer(
            entity=EntityType.PASSWORD,
            # scheme://user:password@host
            pattern=re.compile(r"://[^\s:/@]*:(?P<v>[^\s@/]{3,})@"),  # also redis://:pw@
            score=0.95,
            check=checks.command_password,  # not `rediss://:pass@localhost`
        ),
    )


def _keyed_recognizers() -> tuple[PatternRecognizer, ...]:
    """Identifiers recognisable only by a keyword before them, and names after a cue."""
    return (
        # After an SSN keyword any separators will do ("536 - 22 - 1234", "536/22/1234"),
        # even a line break: the parts of a request are scanned joined by one, so a number
        # split across two messages is still seen whole there.
        _keyed_recognizer(
            EntityType.US_SSN,
            r"ssn|social\s*security(?:\s*(?:number|no\.?|#))?|social",
            r"(?<!\d)(?P<area>\d{3})\s?[-./_ ]?\s?(?P<group>\d{2})\s?[-./_ ]?\s?(?P<serial>\d{4})"
            r"(?![\w]|[.-]\d)",
            score=1.0,
            check=checks.ssn_after_keyword,
        ),
        _keyed_recognizer(EntityType.PASSPORT, r"passport", _PASSPORT_VALUE, score=0.95),
        _keyed_recognizer(
            EntityType.DRIVER_LICENSE,
            r"driver'?s?\s*licen[cs]e|driving\s*licen[cs]e|dl|licen[cs]e\s*(?:no|number|#)",
            _ID_VALUE,
            score=0.9,
            check=checks.has_digits(4),
        ),
        _keyed_recognizer(
            EntityType.ROUTING_NUMBER,
            r"routing|aba|rtn",
            r"\d{9}(?!\d)",
            score=1.0,
            check=checks.routing,
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
            check=checks.has_digits(4),
        ),
        _keyed_recognizer(
            EntityType.INSURANCE_ID,
            r"insurance|member\s*id|policy\s*(?:no|number|#)|subscriber\s*id|medicare"
            r"|medicaid|nhs\s*(?:no|number)|group\s*(?:no|number|#)",
            _ID_VALUE,
            score=0.9,
            check=checks.has_digits(4),
        ),
        _keyed_recognizer(
            EntityType.DATE_OF_BIRTH,
            r"date\s*of\s*birth|dob|d\.o\.b|born|birth\s*date|birthday"
            # German, Dutch, French, Spanish, Portuguese, Italian, Polish, Swedish.
            r"|geburtsdatum|geboren|geb\.|geboortedatum|date\s+de\s+naissance|née?\s+le"
            r"|fecha\s+de\s+nacimiento|nacid[oa]|data\s+de\s+nascimento|nascid[oa]"
            r"|data\s+di\s+nascita|nat[oa]\s+il|data\s+urodzenia|urodzon[ya]|födelsedatum|född",
            _DATE,
            score=0.95,
        ),
        *(
            PatternRecognizer(
                entity=EntityType.PERSON,
                pattern=re.compile(rf"{cue}[ \t]+{_NAME_AFTER_CUE}"),
                score=0.9,
                check=checks.name,
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


# Password words that are neither English words nor commands, and then those that are
# ("pass", "pw", "pwd", "passwd": only in the shapes that need more than the word), WPA's
# "psk" and Spanish "clave" (also "key": "ideas clave"), which `checks.password` takes only
# before ":" or "=", or before "is"/"es" with a strong value.
_LOOSE_PASSWORD_WORDS = (
    r"password|passphrase|passcode|passwort|kennwort|mot\s+de\s+passe|contraseña|contrasena"
    r"|senha|wachtwoord|lösenord|salasana|hasło|haslo|passord|adgangskode"
    # Common misspellings, and the key of a Wi-Fi network ("WPA2-Schlüssel", "wifi key").
    r"|pasword|passowrd|passwrod|paswort"
    r"|(?:wi-?fi|wlan|wpa[23]?|netzwerk|network)[ -]?(?:key|schlüssel)"
)
_PASSWORD_WORDS = rf"{_LOOSE_PASSWORD_WORDS}|passwd|pwd|pass|pw|psk|(?<!palabra )clave"
# Commands and the flag or position of their password, on one line; `v` is the password.
_CMD_VALUE = r"[\"']?(?P<v>[^\s\"']{1,64})"
_ON_LINE = r"[^\n|;&]*?\s"
_COMMAND_PASSWORDS = (
    rf"curl\b{_ON_LINE}(?:-u|--user)[ =][\"']?[^\s:\"']+:{_CMD_VALUE}",
    rf"sshpass\s+-p\s*{_CMD_VALUE}",
    rf"mysql(?:dump|admin)?\b{_ON_LINE}-p{_CMD_VALUE}",  # -pSECRET, no space
    rf"redis-cli\b{_ON_LINE}-a\s+{_CMD_VALUE}",
    rf"(?:sqlcmd|zip)\b{_ON_LINE}-P\s+{_CMD_VALUE}",
    rf"7z\b{_ON_LINE}-p{_CMD_VALUE}",  # -pSECRET, no space
    rf"keytool\b{_ON_LINE}-(?:store|key)pass\s+{_CMD_VALUE}",
    rf"docker\s+login\b{_ON_LINE}(?:-p|--password)[ =]{_CMD_VALUE}",
    rf"net\s+use\b[^\n]*?/user:\S+\s+{_CMD_VALUE}",
    rf"net\s+user\s+[^\s/]+\s+{_CMD_VALUE}",
    rf"htpasswd\s+-\w*b\w*\s+\S+\s+\S+\s+{_CMD_VALUE}",
    rf"echo\s+[\"']?[^\s:\"']+:{_CMD_VALUE}[\"']?\s*\|\s*(?:sudo\s+)?chpasswd",
    r"(?i:convertto-securestring)\s+[\"'](?P<v>[^\"'\n]{1,64})[\"']",
    # Cisco IOS: `enable secret Cisco123!`, `username admin privilege 15 secret 0 Cisco123!`.
    rf"(?m:^)[ \t]*enable[ \t]+(?:secret|password)[ \t]+(?:\d[ \t]+)?{_CMD_VALUE}",
    rf"(?m:^)[ \t]*username[ \t]+(?!and\b|or\b)\S+(?:[ \t]+privilege[ \t]+\d+)?"
    rf"[ \t]+(?:secret|password)[ \t]+(?:\d[ \t]+)?{_CMD_VALUE}",
    # NetworkManager, PHP's define(), JDBC and Python requests' basic auth.
    rf"nmcli\b{_ON_LINE}password\s+{_CMD_VALUE}",
    r"define\(\s*[\"']\w*(?:PASSWORD|PASS|PWD)[\"']\s*,\s*[\"'](?P<v>[^\"'\n]{1,64})[\"']",
    r"getConnection\([^,\n()]+,\s*\"[^\"\n]*\"\s*,\s*\"(?P<v>[^\"\n]{1,64})\"",
    r"auth\s*=\s*\(\s*[\"'][^\"'\n]+[\"']\s*,\s*[\"'](?P<v>[^\"'\n]{1,64})[\"']\s*\)",
    # A ~/.pgpass line, host:port:database:user:password, after the file's name.
    r"pgpass\b[^\n]{0,40}\n?[^\s:]+:(?:\d{1,5}|\*):[^\s:]+:[^\s:]+:(?P<v>[^\s]{1,64})",
)
_LOGIN_WORDS = (
    r"login|creds|credentials|username|zugangsdaten|identifiants|credenciales|credenziali"
    r"|credenciais"
)
# "is" and "for" in the languages of `_PASSWORD_WORDS` ("Passwort für den Router ist …",
# "la contraseña del wifi es …", "minha senha é …"); other than "is"/"was", only with a digit.
_IS = r"(?:is|was|ist|lautet|war|est|était|c'est|es|era|é|è|jest|är|er)"
_FOR = r"(?:for|für|del|de|du|de\s+la|do|da|di|per|för|voor|dla)"
# A quoted value (`q`), or an unquoted one (`v`) not ending in sentence punctuation.
_PASSWORD_VALUE = r"(?:[\"'](?P<q>[^\"'\n]{4,64})[\"']|(?P<v>[^\s\"'`,;()\[\]{}]{4,64}(?<![.?])))"
# An unquoted value of 6-64 characters, not ending in "." or "?" (a "!" is kept: "Winter2024!"
# is likelier a password than a sentence that ends on one).
_OPEN_QUOTE = "[\"'\u201c\u2018]"  # before a value in the looser shapes ("password 'X'")
_LOOSE_VALUE = r"[^\s\"'`,;()\[\]{}<>]{6,64}(?<![.?])"
# The same after "user /": one whole token without "/", so a path ("users/jo/devices") is none.
_LOGIN_VALUE = r"[^\s\"'`,;()\[\]{}<>/]{6,64}(?<![.?])(?=[\s\"'`,;()\[\]{}<>.?]|$)"
# English month names, then the other languages of the birth-date keywords ("9 juin 1990",
# "17. März 1972", "23 de mayo de 1984").
_MONTH = (
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
    r"|fév|avr|mai|juin|juil|aoû|aou|déc|ene|abr|ago|dic|gen|mag|giu|lug|set|ott|mär|okt|dez"
    r"|fev|out|maa|mrt|mei|sty|lut|kwi|cze|lip|sie|wrz|paź|lis|gru)[a-zäöüéèûç]*\.?"
)
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th|\.|º)?\s+(?:of\s+|de\s+)?{_MONTH},?\s+(?:de\s+)?\d{{4}})(?!\d)"
)
_NAME_AFTER_CUE = r"(?P<v>[^\W\d_][\w'\u2019-]*(?:[ \t]+[^\W\d_][\w'\u2019-]*){0,2})"
_ID_VALUE = r"(?=[a-z0-9-]{0,19}\d)[a-z0-9][a-z0-9-]{3,18}[a-z0-9](?![\w-])"
_PASSPORT_VALUE = r"(?=[a-z0-9]{0,8}\d)[a-z0-9]{6,9}(?![\w-])"
_DIGIT = re.compile(r"\d")
_NUMBER_JOINER = re.compile(r"[\w.+-]")
_DIGIT_JOINER = re.compile(r"[\d_.+-]")
_CAPITAL = r"A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u017f"
_HOUSE_NUMBER = r"\d{1,5}[a-zA-Z]?(?!\w)"
# Street types written before the name ("Via Roma 12") or, in French, after the number.
_STREET_TYPES_BEFORE_NAME = (
    "Via|Viale|Vicolo|Piazza|Piazzale|Corso|Largo|Strada|Contrada|Borgo|Calle|Camino|Carretera"
    "|Avenida|Paseo|Plaza|Ronda|Rambla|Pasaje|Travesía|Glorieta|Alameda|Carrer|Rua|Travessa"
    "|Ulica|Chemin|Allée|Impasse|Quai|Rue|Avenue|Boulevard"
)
_STREET_TYPES_AFTER_NUMBER = "rue|avenue|boulevard|chemin|allée|impasse|quai|place|route"
# Street words written as a separate word after the name ("Rákóczi út 66").
_STREET_WORDS_AFTER_NAME = "út|utca|ulica|ulice|katu|vej|gade"
# Street words that end a compound street name ("Friedhofstrasse", "Vesterskovvej").
# Not "ring", "tee", "tie" (spring, committee) and "str" only with its period; "gade" words
# that are English ("Brigade 5") are left to `checks.street_line`.
_STREET_SUFFIXES = (
    r"straße|strasse|str\.|weg|gasse|platz|allee|damm|vej|gade|gatan|gata|vägen|vegen"
    r"|veien|vegur|braut|laan|straat|gracht|plein|kade|singel|katu|utca|ulica|ulice"
)
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
