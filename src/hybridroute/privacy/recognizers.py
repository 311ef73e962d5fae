"""The built-in structured recognizers (card, SSN, IBAN, IP, e-mail, phone, address, keyed
identifiers, name cues; secrets from `secret_recognizers.py`, European ids from
`national_ids.py`) and the detector that runs them behind the Hyperscan prefilter.

The matching engine is `pattern_recognizer.py`; the checks that confirm a match are
`identifier_checks.py`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hybridroute.privacy import identifier_checks as checks
from hybridroute.privacy import phone_checks
from hybridroute.privacy.address_tail import with_address_tails
from hybridroute.privacy.cjk_addresses import cjk_address_recognizers
from hybridroute.privacy.cjk_names import cjk_name_recognizers
from hybridroute.privacy.credential_tables import (
    HEADER_CELL,
    PASSWORD_LIST,
    passwords_in_lists,
    passwords_in_tables,
)
from hybridroute.privacy.entities import Entity, EntityType
from hybridroute.privacy.health_facts import HEALTH_TERMS, health_fact_recognizers, listed_facts
from hybridroute.privacy.health_ids import (
    HEALTH_RECORD,
    health_id_recognizers,
    health_record_fields,
)
from hybridroute.privacy.id_columns import IdColumns
from hybridroute.privacy.matching import CAPITALS, WORD_CHAR, has_cjk, lower_aligned
from hybridroute.privacy.national_ids import answered_below, national_id_recognizers
from hybridroute.privacy.pattern_recognizer import PatternRecognizer, keyed_recognizer, number_runs
from hybridroute.privacy.prefilter import FilterPattern, Prefilter
from hybridroute.privacy.secret_recognizers import secret_recognizers


class StructuredDetector:
    """Runs every pattern recognizer over a text; the fast mode's only detector."""

    name = "structured"

    def __init__(
        self, recognizers: Sequence[PatternRecognizer] | None = None, *, prefilter: bool = True
    ) -> None:
        self.recognizers = tuple(recognizers) if recognizers is not None else default_recognizers()
        self.id_columns = IdColumns(self.recognizers)
        # After the recognizers' patterns: where a table's header cell naming a keyed
        # identifier or a password may be, whether a pasted HL7 message or FHIR resource may
        # be there, where a listed health term may be, and a line naming passwords.
        self.prefilter = Prefilter(
            [
                *(_filter_pattern(r) for r in self.recognizers),
                FilterPattern(self.id_columns.gate, caseless=True, windowed=True),
                FilterPattern(HEADER_CELL, caseless=True, windowed=True),
                FilterPattern(HEALTH_RECORD),
                FilterPattern(HEALTH_TERMS, caseless=True, windowed=True),
                FilterPattern(PASSWORD_LIST, caseless=True, windowed=True),
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
        if not has_cjk(text):
            live = [
                (recognizer, windows) for recognizer, windows in live if not recognizer.needs_cjk
            ]
        needed = [r.min_digits for r, w in live if r.min_digits and w is None]
        numbers = number_runs(text, min(needed)) if has_digit and needed else None
        found: list[Entity] = []
        for recognizer, windows in live:
            found.extend(recognizer.find(text, lowered, has_digit, numbers, windows))
        id_tables, tables, records, terms, lists = (
            (None, None, None, None, None) if hits is None else hits.windows[-5:]
        )
        # Values in a table column under their header: no keyword next to them.
        if has_digit and id_tables != ():
            found.extend(self.id_columns.find(text, lowered, id_tables))
        if has_digit and tables != ():
            found.extend(passwords_in_tables(text, lowered, tables))
        if records != ():
            found.extend(health_record_fields(text))
        if terms != ():
            found.extend(listed_facts(lowered, terms))
        if lists != ():
            found.extend(passwords_in_lists(text, lowered, lists))
        return with_address_tails(text, found)  # a street line's city and postcode too


def _filter_pattern(recognizer: PatternRecognizer) -> FilterPattern:
    """What the prefilter looks for on behalf of `recognizer`."""
    if recognizer.needs_cjk:
        return FilterPattern(recognizer.pattern, unfiltered=True)
    if recognizer.opener is not None:
        # Where each opener match starts and ends: the places the pattern is tried at (the
        # prefilter tracks starts only for unbounded openers; a bounded one's ends say as much).
        return FilterPattern(
            recognizer.opener, caseless=recognizer.lowered, windowed=True, starts=True
        )
    # Number recognizers already search only around runs of digits (`min_digits`);
    # Hyperscan's end offsets for them would be hundreds of callbacks per text.
    return FilterPattern(
        recognizer.gate or recognizer.pattern,
        caseless=recognizer.lowered,
        windowed=not recognizer.min_digits
        and (recognizer.gate is None or recognizer.gate_starts_match),
    )


def default_recognizers() -> tuple[PatternRecognizer, ...]:
    """The built-in structured recognizers, in no particular order (overlaps resolve later)."""
    return (
        *_digit_recognizers(),
        *secret_recognizers(),
        *_keyed_recognizers(),
        *national_id_recognizers(),
        *health_id_recognizers(),
        *health_fact_recognizers(),
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
        # ... and right after a label's joiner ("Card No.4111…", "id-4111…"), on its own: as
        # one recognizer with the first, "Card No.1 4111 1111 1111 1111" started its match at
        # the label's "1", failed Luhn and never tried the card (review 17).
        PatternRecognizer(
            entity=EntityType.CREDIT_CARD,
            pattern=re.compile(r"(?<=[^\W\d_][_.-])\d(?:[ -]?\d){11,18}(?![\d_]|[.-]\d)"),
            score=1.0,
            check=checks.card_after_label,
            needs_digit=True,
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
            check=phone_checks.phone,
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
                r"|Close|Row|Alley|Plaza|Gardens|Mews|Walk|Hill|Park|Grove|Parade|Esplanade)s?\b\.?"
                r"(?:,?\s+(?:Apt|Apartment|Suite|Unit|Flat)\.?\s*#?\d+\w?)?"
            ),
            score=0.85,
            needs_digit=True,
            not_after=re.compile(r"[\w-]"),
        ),
        *_international_address_recognizers(),
        *cjk_address_recognizers(),
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
                rf"[{CAPITALS}][\w'.-]*(?: [{CAPITALS}][\w'.-]*){{0,2}},? {_HOUSE_NUMBER}"
                rf"|\d{{1,5}},? (?:{_STREET_TYPES_AFTER_NUMBER}) "
                r"(?:(?:de|du|des|la|le|les|l'|d') ?)*"
                rf"[{CAPITALS}][\w'-]*(?: [{CAPITALS}][\w'-]*){{0,2}}"
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
        # A street without a street word, after an address label, with its postcode and
        # town: "Alte Anschrift: Brühl 12, 04109 Leipzig", "Adresse : Grand-Place 7, 1000
        # Bruxelles". The postcode and town are what make it an address (the tail follows).
        PatternRecognizer(
            entity=EntityType.STREET_ADDRESS,
            pattern=re.compile(
                rf"{_ADDRESS_LABELS}(?:[ \t]+[^\W\d_]{{2,15}}){{0,2}}[ \t]*:[ \t]*"
                rf"(?P<v>[{CAPITALS}][\w'.-]*(?:[ \t][\w'.-]+){{0,3}}[ \t]{_HOUSE_NUMBER}"
                rf",?[ \t]+(?:\d{{5}}|\d{{4}}|\d{{2}}-\d{{3}})[ \t]+[{CAPITALS}][\w-]*)"
            ),
            score=0.8,
            check=checks.postal_label,
            needs_digit=True,
            not_after=word_boundary,
            opener=re.compile(_ADDRESS_LABELS),
        ),
        # "Apt. 805", "Apt 203", "Apartment 3B" (not "Apt 2.4", a version)
        PatternRecognizer(
            entity=EntityType.STREET_ADDRESS,
            pattern=re.compile(r"(?:Apt\.?|Apartment) ?#?\d{1,5}[A-Z]?(?!\w|\.\d)"),
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
            # Tried only where one of these words starts, not at every P, U, A, F and D
            # (~0.05 ms per 1,000 tokens of PII-dense text).
            opener=re.compile(r"PSC|Unit|APO|FPO|DPO|USNS|USNV|USS|USCGC"),
        ),
    )


def _keyed_recognizers() -> tuple[PatternRecognizer, ...]:
    """Identifiers recognisable only by a keyword before them, and names after a cue."""
    return (
        # After an SSN keyword any separators will do ("536 - 22 - 1234", "536/22/1234"),
        # even a line break: the parts of a request are scanned joined by one, so a number
        # split across two messages is still seen whole there.
        keyed_recognizer(
            EntityType.US_SSN,
            r"ssn|social\s*security(?:\s*(?:number|no\.?|#))?|social",
            r"(?<!\d)(?P<area>\d{3})\s?[-./_ ]?\s?(?P<group>\d{2})\s?[-./_ ]?\s?(?P<serial>\d{4})"
            r"(?![\w]|[.-]\d)",
            score=1.0,
            check=checks.ssn_after_keyword,
            checksum=True,  # the SSA's issuing rules: no 000 / 666 / 9xx area, no 00, 0000
        ),
        keyed_recognizer(EntityType.PASSPORT, r"passport", _PASSPORT_VALUE, score=0.95),
        keyed_recognizer(
            EntityType.DRIVER_LICENSE,
            r"driver'?s?\s*licen[cs]e|driving\s*licen[cs]e|dl|licen[cs]e\s*(?:no|number|#)",
            _ID_VALUE,
            score=0.9,
            check=checks.has_digits(4),
        ),
        keyed_recognizer(
            EntityType.ROUTING_NUMBER,
            r"routing|aba|rtn",
            r"\d{9}(?!\d)",
            score=1.0,
            check=checks.routing,
            checksum=True,
        ),
        keyed_recognizer(
            EntityType.BANK_ACCOUNT,
            r"account\s*(?:no|number|num|#)|acct|a/c|bank\s*account",
            r"\d(?:[ -]?\d){5,16}(?![\w]|[.-]\d)",
            score=0.9,
        ),
        keyed_recognizer(
            EntityType.MEDICAL_RECORD,
            r"medical\s*record|mrn|patient\s*(?:id|no|number|#)|chart\s*(?:no|number|#)"
            r"|health\s*record|npi|hospital\s*(?:no|number|#)|encounter\s*(?:id|no|number|#)"
            # German, Dutch, French, Spanish, Portuguese, Italian, Polish.
            r"|patient(?:en)?-?(?:id|nummer|nr)|patiëntnummer|fallnummer"
            r"|num[ée]ro\s+(?:de\s+)?(?:patient|dossier)|dossier\s+(?:m[ée]dical|patient)"
            r"|historia\s+cl[íi]nica|\bnhc\b|n[úu]mero\s+de\s+paciente|prontu[áa]rio"
            r"|cartella\s+clinica|numero\s+(?:di\s+)?paziente|numer\s+pacjenta",
            _ID_VALUE,
            score=0.95,
            check=checks.has_digits(4),
        ),
        keyed_recognizer(
            EntityType.INSURANCE_ID,
            r"insurance|member\s*(?:id|no|number|#)|policy\s*(?:no|number|#)|subscriber\s*id"
            r"|medicare|medicaid|nhs\s*(?:no|number)|group\s*(?:no|number|#)|health\s+plan"
            r"|beneficiary\s*(?:id|no|number)|\behic\b"
            # German, Dutch, French, Spanish, Italian, Polish.
            r"|versicherungs-?(?:nummer|nr)|polisnummer|verzekerdennummer|zorgpas"
            r"|num[ée]ro\s+d'(?:assur[ée]|adh[ée]rent)|mutuelle|tarjeta\s+sanitaria"
            r"|n[úu]mero\s+de\s+(?:afiliaci[óo]n|afiliado|p[óo]liza)|tessera\s+sanitaria"
            r"|numero\s+(?:di\s+)?polizza|numer\s+(?:ubezpieczenia|polisy)",
            _ID_VALUE,
            score=0.9,
            check=checks.has_digits(4),
        ),
        # A birth-date label: the date may come a clause later ("DOB on my driver's licence
        # is 04/15/1990"). German, Dutch, French, Spanish, Portuguese, Italian, Polish,
        # Swedish.
        keyed_recognizer(
            EntityType.DATE_OF_BIRTH,
            r"date\s*of\s*birth|dob|d\.o\.b|birth\s*date|birthday|geburtsdatum|geb\."
            r"|geboortedatum|date\s+de\s+naissance|fecha\s+de\s+nacimiento"
            r"|data\s+de\s+nascimento|data\s+di\s+nascita|data\s+urodzenia|födelsedatum",
            _DATE,
            score=0.95,
            reach=40,
        ),
        # Being born: the date close by ("born in Honolulu, Hawaii, on August 4, 1961" is a
        # president's, 25 characters on; a reach of 24 leaves it). "nació el 3 de febrero de
        # 1933", "urodziłam się 21 lipca 1985". "b." below.
        keyed_recognizer(
            EntityType.DATE_OF_BIRTH,
            r"born|geboren|née?\s+le|nacid[oa]|nascid[oa]|nat[oa]\s+il|urodzon[ya]|född"
            r"|naci[óo]\b|nasceu\b|urodzi(?:ł|łam|łem|ła)\s+się",
            _DATE,
            score=0.95,
        ),
        # Genealogy's and biographies' "b." right before a full date, after a name's comma or
        # in brackets ("Tom Ellis, b. 2006-05-18", "(b. 10 December 1815)"). Not at a line's
        # start: that "b." is an enumeration's second option ("a. 2006-05-17\nb. ...").
        PatternRecognizer(
            entity=EntityType.DATE_OF_BIRTH,
            pattern=re.compile(rf"(?:\(|[,;][ \t]?)b\.[ \t]?(?P<v>{_DATE})"),
            score=0.95,
            needs_digit=True,
            lowered=True,
        ),
        # A bare "account" after a sort code or routing number and its value ("sort code
        # 30-94-57, account 23119135"); alone, "account 123456789012" is AWS's.
        PatternRecognizer(
            entity=EntityType.BANK_ACCOUNT,
            pattern=re.compile(
                r"(?:sort[\s-]{0,2}code|routing(?:\s{0,2}(?:number|no\.?|#))?)[\s:]{1,3}"
                r"\d\d(?:[ -]?\d){4,7}(?!\d)[^\n\d]{1,30}?\baccount(?:\s{0,2}(?:number|no\.?|#))?"
                r"[\s:]{1,3}(?P<v>\d{6,17})(?!\d)"
            ),
            score=0.9,
            needs_digit=True,
            lowered=True,
            not_after=WORD_CHAR,
        ),
        # A routing number answered on its own line, up to four lines below the question
        # ("Routing number?" / "021000021"); "routing" alone is also networks' word.
        answered_below(
            keyed_recognizer(
                EntityType.ROUTING_NUMBER,
                r"routing\s*(?:number|no\.?|#)|aba\s*(?:number|no\.?|#)|rtn",
                r"\d{9}",
                score=1.0,
                check=checks.routing,
            )
        )[1],
        # ... and with its account ("021000021 / 4839201755"), there or on its own line:
        # one value, as the pair is what pays.
        *answered_below(
            keyed_recognizer(
                EntityType.BANK_ACCOUNT,
                r"routing",
                r"(?P<aba>\d{9})(?:[ \t]*[/,;|][ \t]*|[ \t]+)\d{6,17}(?!\d)",
                score=0.95,
                check=checks.routing_pair,
            )
        ),
        # A Brazilian branch and account: "ag. 3412-7 c/c 48.902-X", "agência 0001, conta
        # corrente 8823417-5"; both numbers are the value (the pair is what pays).
        PatternRecognizer(
            entity=EntityType.BANK_ACCOUNT,
            pattern=re.compile(
                r"ag(?:[êe]ncia|\.)\s{0,2}:?\s{0,2}(?P<v>\d{4}(?:-[\dx])?[\s,/;]{1,3}"
                r"(?:c/c|cc|conta(?:\s{1,2}corrente)?)\s{0,2}[:.]?\s{0,2}\d{1,3}(?:\.?\d{3}){0,4}"
                r"-?[\dx])(?![\w-])"
            ),
            score=0.9,
            needs_digit=True,
            lowered=True,
            not_after=WORD_CHAR,
        ),
        # A UK sort code (the bank branch, like an ABA routing number) after its keyword.
        keyed_recognizer(
            EntityType.ROUTING_NUMBER,
            r"sort[\s-]{0,2}code",  # bounded: every keyed keyword heads an id column too
            r"\d{2}[- ]?\d{2}[- ]?\d{2}(?![\d-])",
            score=0.9,
        ),
        *cjk_name_recognizers(),
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
_HOUSE_NUMBER = r"\d{1,5}[a-zA-Z]?(?!\w)"
_ADDRESS_LABELS = (
    r"(?i:address|adresse|anschrift|adres|adress|indirizzo|direcci[óo]n|endere[çc]o"
    r"|domicile|domicilio|wohnort)"
)
# Street types written before the name ("Via Roma 12") or, in French, after the number.
_STREET_TYPES_BEFORE_NAME = (
    "Via|Viale|Vicolo|Piazza|Piazzale|Corso|Largo|Strada|Contrada|Borgo|Calle|Camino|Carretera"
    "|Avenida|Paseo|Plaza|Ronda|Rambla|Pasaje|Travesía|Glorieta|Alameda|Carrer|Rua|Travessa"
    "|Ulica|ul\\.|Chemin|Allée|Impasse|Quai|Rue|Avenue|Boulevard"
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
