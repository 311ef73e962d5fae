"""Calibrate NER output: drop spans that cannot be names, and trust a person's name fully only
when the request is about private individuals.

spaCy's small model tags names in math word problems ("Sara has 5 apples"), public figures
and code fragments alike. A name alone is weak evidence of personal data; a name next to a
personal cue ("my colleague", "Dear", an e-mail address, a health question) is strong.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace

from hybridroute.privacy.entities import Entity, EntityType
from hybridroute.privacy.matching import lower_aligned, search_within
from hybridroute.privacy.prefilter import FilterPattern, Prefilter
from hybridroute.privacy.records import names_a_table_column


def calibrate(
    entities: Sequence[Entity],
    text: str,
    categories: Sequence[str] = (),
    cues: Sequence[re.Match[str]] | None = None,
) -> list[Entity]:
    """NER entities filtered to plausible proper nouns; person confidence set by context.
    `cues`: `personal_cues(text)` if the caller has them already."""
    ner = [e for e in entities if e.source in CALIBRATED_SOURCES]
    if not ner:
        return list(entities)
    # The gazetteer vouches for its own spans, lower-case names included. NER's other spans
    # ("val", "=ctx" in code) go before the context is read: they are no person in a table.
    plausible = [
        e for e in entities if e.source != "ner" or looks_like_proper_noun(text[e.start : e.end])
    ]
    personal = has_personal_context(text, plausible, categories, cues)
    person_score = PERSON_IN_CONTEXT if personal else PERSON_WITHOUT_CONTEXT
    # A copy only where the score is capped (`replace` costs ~1 µs, and a lone name's 0.75
    # is already below the 0.85 of a personal context).
    return [
        replace(e, score=person_score)
        if e.type == EntityType.PERSON and e.source in CALIBRATED_SOURCES and e.score > person_score
        else e
        for e in plausible
    ]


def looks_like_proper_noun(span: str) -> bool:
    """Every word capitalised, letters and name punctuation only ("Anne-Marie O'Neil")."""
    words = span.removesuffix("'s").removesuffix("\u2019s").rstrip("'\u2019").split()
    if not words or sum(len(w) for w in words) < 2:
        return False
    return all(_NAME_WORD.fullmatch(w) is not None and w[0].isupper() for w in words)


def has_personal_context(
    text: str,
    entities: Sequence[Entity],
    categories: Sequence[str] = (),
    cues: Sequence[re.Match[str]] | None = None,
) -> bool:
    """The request talks about private individuals: a relation or identity cue, contact
    details, a personal category (health, HR, legal, finance), or a table of people."""
    if any(c in PERSONAL_CATEGORIES for c in categories):
        return True
    if any(e.type in CONTACT_TYPES for e in entities):
        return True
    return has_personal_cue(text, entities, cues) or names_a_table_column(text, entities)


def has_personal_cue(
    text: str, entities: Sequence[Entity], cues: Sequence[re.Match[str]] | None = None
) -> bool:
    """A relation, identity or greeting cue (`_PERSONAL_CUE`) where it counts."""
    person_starts = {e.start for e in entities if e.type == EntityType.PERSON}
    for cue in personal_cues(text) if cues is None else cues:
        # `cue.string` is " " + the lower-cased text: its match end is the next character
        # of `text`, where a name would start.
        after = cue.end() - 1
        if cue["role"] is not None:
            # The name follows, or took the role word in ("Hasta Kemal Kaya": a
            # capitalised word that is no English one opens the name's run).
            if {after, cue.start("role") - 1} & person_starts:
                return True
            continue
        if cue["intro"] is None and cue["greeting"] is None:
            return True
        if not text[after : after + 1].isupper():
            # A lower-case name counts after an intro once the detectors vouch for it
            # ("an email to hannah whitfield"), unlike "a note to the team".
            if cue["intro"] is not None and after in person_starts:
                return True
            continue
        if cue["greeting"] is None or _opens_line(cue.string, cue.start()):
            return True
    return False


def personal_cues(text: str) -> Iterator[re.Match[str]]:
    """Every `_PERSONAL_CUE` in `text`, matched on " " + its lower-cased form."""
    hits = _CUE_FILTER.scan(text)
    windows = None if hits is None else hits.windows[0]
    if windows == ():
        return
    spaced = " " + lower_aligned(text)
    # Where the cues can be (window ends + 1: `spaced` is one character longer), else all.
    for low, high in windows if windows is not None else ((0, len(spaced)),):
        pos = low
        while (cue := search_within(_PERSONAL_CUE, spaced, pos, high + 1)) is not None:
            pos = cue.end() - 1  # its last space may open the next cue ("ask my wife")
            yield cue


def _opens_line(spaced: str, at: int) -> bool:
    """Only spaces or tabs between the last line break (or the start) and `at`."""
    line_start = spaced.rfind("\n", 0, at + 1)
    return not spaced[line_start + 1 : at + 1].strip(" \t")


# NER and the name gazetteer: names, places and organisations found without a keyword.
CALIBRATED_SOURCES = frozenset({"ner", "names"})
PERSON_IN_CONTEXT = 0.85
PERSON_WITHOUT_CONTEXT = 0.7
PERSONAL_CATEGORIES = frozenset({"health", "hr", "legal", "finance"})
CONTACT_TYPES = frozenset(
    {
        EntityType.EMAIL,
        EntityType.PHONE,
        EntityType.STREET_ADDRESS,
        EntityType.US_SSN,
        EntityType.NATIONAL_ID,
        EntityType.CREDIT_CARD,
        EntityType.IBAN,
        EntityType.PASSPORT,
        EntityType.DRIVER_LICENSE,
        EntityType.DATE_OF_BIRTH,
        EntityType.BANK_ACCOUNT,
        EntityType.MEDICAL_RECORD,
        EntityType.INSURANCE_ID,
    }
)
_NAME_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['\u2019.-])*\.?")
# Relation or identity cues, matched on " " + lower-cased text behind one consumed non-word
# character (fast: see matching.py). `intro` and `greeting` need a capital letter next in the
# original text ("this is Anna"); a greeting must open a line ("Dear Tom").
_PERSONAL_CUE_BODY = (
    # "my colleague", "our new intern", "my former student": a possessive, at most two
    # modifiers from a closed list, then a role only private individuals have to the writer.
    r"(?:(?:my|our)\s+(?:(?:former|new|ex|old|current|previous|late|dear|best|little|elderly"
    r"|favou?rite|delivery|night|day|warehouse|site|team|regular|direct|part-time|full-time"
    r")\s+){0,2}(?:name|friend|brother|sister|mother|mom|mum|father|dad|wife|husband"
    r"|son|daughter|partner|colleague|co-?worker|boss|manager|client|customer|patient|employee"
    r"|neighbou?r|tenant|landlord|room-?mate|cousin|uncle|aunt|grand\w+|child|kids?"
    r"|fianc[eé]e?|girlfriend|boyfriend|team-?mate|student|teacher|doctor|lawyer|nurse"
    r"|pupil|resident|applicant|nanny|babysitter|caregiver|carer|driver|trainee"
    r"|apprentice|mentee|supervisor|assistant|secretary|housekeeper|therapist)s?\b"
    # Roles that only private people have towards the writer, in nine languages.
    # ("customer", "client", "employee" also fill word problems and user stories: not alone.)
    r"|(?:intern|tenant|landlord|co-?worker|colleague|new\s+hire|kolleg(?:e|in)|collègue"
    r"|colega|collega|inquilin[oa]|locataire|mieter(?:in)?|vermieter(?:in)?|huurder"
    r"|verhuurder|hyresgäst|hyresvärd|najemc\w*|caser[oa]|leietaker)\b"
    # Work and HR events about a person.
    r"|1:1\b|one-on-one|performance\s+review|employee\s+of\s+the\s+month|joining\s+the\s+team"
    r"|on\s+(?:sick\s+)?leave|abmahnung|disciplinary|exit\s+interview"
    # Fields that hold a person's name.
    r"|(?:assignee|display_?name|full_?name|customer_?name|patient_?name|employee_?name"
    r"|requester|reporter)[\"']?[ \t]{0,3}[:=]"
    # A role right before a name the detectors found ("patient Kemal Kaya"); "a patient
    # with…", "customer Support" and "customer profile" have none. (Not "student": word
    # problems name their students.)
    r"|(?P<role>(?:patient|paciente|patiente|patientin|paziente|patiënt|pacjent(?:ka)?"
    r"|pasient|hasta|resident|bewohner(?:in)?|bewoner|residente|customer|client|cliente"
    r"|kunde|kundin|klant|employee|mitarbeiter(?:in)?|emplead[oa]|dipendente|salariée?"
    r"|medewerker|werknemer|anställd|pracownik)\s+)"
    # A capitalised name next (see below): an honorific, a message to or from someone, a
    # record's name field; or an e-mail header that opens a line (`greeting`).
    r"|(?P<intro>(?:i'm|i am|this is|call me|calls me|named|name is|name:"
    r"|herrn?|frau|pani?|señora?|sra?\.|senhora?|signora?|sig\.(?:ra)?|mme|anh|chị"
    "|say\u0131n"  # Turkish, with its dotless i
    r"|meneer|mevrouw|dhr\.|mevr\.|fru"
    r"|(?:note|letter|message|e-?mail|reminder|card|invitation|feedback|reply|complaint"
    r"|request|recommendation|reference|warning|certificate|carta|correo|mensaje|mensagem"
    r"|lettre|courriel|brief|lettera|messaggio|kaartje|podziękowanie|certificado|certificat"
    r"|zeugnis|arbeitszeugnis|avertissement)"
    r"\s+(?:to|for|from|para|pour|für|an|à|per|voor|dla|de)(?:\s+(?:the|o|a|la|el|der|die))?"
    r"|(?:reply|respond|write|answer)\s+to|rispondi\s+a|responde\s+a|réponds\s+à"
    r"|(?:interview|meeting|review|appointment)\s+with"
    r")\s+"
    r"|\"(?:name|full_?name|first_?name|contact|user_?name|customer|employee|patient)\""
    r"[ \t]*:[ \t]*\"|<(?:name|full_?name|customer|employee|contact)>[ \t]*"
    r"|user[ \t]+\")"
    r"|(?P<greeting>(?:dear|hi|hello|hey)\s+|(?:from|to|cc|von|an|de ?|à ?|para|da):\s*)"
    r"|(?:regards|sincerely|cheers|best wishes),?[ \t]*\n)"
)
_PERSONAL_CUE = re.compile(rf"[^\w]{_PERSONAL_CUE_BODY}")
# Most texts hold no cue at all: one Hyperscan pass says so without the Python scan.
_CUE_FILTER = Prefilter(
    [FilterPattern(re.compile(_PERSONAL_CUE_BODY), caseless=True, windowed=True, starts=True)]
)
