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
from hybridroute.privacy.records import names_a_table_column, persons_in_name_columns


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
    personal = has_personal_context(text, plausible, categories, cues, tables=False)
    # Names in a table's name columns: a roster's "first_name" and "last_name" cells are
    # each a lone name (0.75), but together someone's full name. Read the table only when
    # it can change something: no context yet, or a lone name to raise.
    in_columns: list[Entity] = []
    if not personal or any(
        e.type == EntityType.PERSON
        and e.source in CALIBRATED_SOURCES
        and e.score < PERSON_IN_CONTEXT
        for e in plausible
    ):
        in_columns = persons_in_name_columns(text, plausible)
        personal = personal or bool(in_columns)
    # Without one, an addressee or a workplace fact vouches for the name next to it only
    # ("remind Declan McCarthy to read Barack Obama's memoir": not Obama).
    vouched = set() if personal else vouched_names(text, plausible, cues)
    # Two or more: one "name" cell holding a first name may be a product's ("Jasmine").
    raised = {id(e) for e in in_columns} if len(in_columns) > 1 else set()
    calibrated = []
    for e in plausible:
        if e.type == EntityType.PERSON and e.source in CALIBRATED_SOURCES:
            in_context = personal or e.start in vouched
            score = PERSON_IN_CONTEXT if in_context else PERSON_WITHOUT_CONTEXT
            # A copy only where the score changes (`replace` costs ~1 µs, and a lone name's
            # 0.75 is already below the 0.85 of a personal context).
            if e.score > score or id(e) in raised:
                e = replace(e, score=score)
        calibrated.append(e)
    return calibrated


def looks_like_proper_noun(span: str) -> bool:
    """Every word capitalised, letters and name punctuation only ("Anne-Marie O'Neil")."""
    words = span.removesuffix("'s").removesuffix("\u2019s").rstrip("'\u2019").split()
    if not words or sum(len(w) for w in words) < 2:
        return False
    # Particles inside a name stay lower case: "Sanne van der Berg", "Jan de Vries".
    inner = range(1, len(words) - 1)
    return all(
        _NAME_WORD.fullmatch(w) is not None and (w[0].isupper() or (i in inner and w in PARTICLES))
        for i, w in enumerate(words)
    )


def has_personal_context(
    text: str,
    entities: Sequence[Entity],
    categories: Sequence[str] = (),
    cues: Sequence[re.Match[str]] | None = None,
    *,
    tables: bool = True,
) -> bool:
    """The request talks about private individuals: a relation or identity cue, contact
    details, a personal category (health, HR, legal, finance), or (`tables`) a table of
    people."""
    if any(c in PERSONAL_CATEGORIES for c in categories):
        return True
    if any(e.type in CONTACT_TYPES for e in entities):
        return True
    if has_personal_cue(text, entities, cues):
        return True
    return tables and names_a_table_column(text, entities)


def has_personal_cue(
    text: str, entities: Sequence[Entity], cues: Sequence[re.Match[str]] | None = None
) -> bool:
    """A relation, identity or greeting cue (`_PERSONAL_CUE`) where it counts."""
    person_starts = {e.start for e in entities if e.type == EntityType.PERSON}
    for cue in personal_cues(text) if cues is None else cues:
        # `cue.string` is " " + the lower-cased text: its match end is the next character
        # of `text`, where a name would start.
        after = cue.end() - 1
        if cue_group(cue, "addressee") is not None or cue_group(cue, "affiliation") is not None:
            continue  # these vouch for one name (`vouched_names`), not for the request
        if cue_group(cue, "role") is not None:
            # The name follows, or took the role word in ("Hasta Kemal Kaya": a
            # capitalised word that is no English one opens the name's run).
            if {after, cue.start("role") - 1} & person_starts:
                return True
            continue
        intro, greeting = cue_group(cue, "intro"), cue_group(cue, "greeting")
        if intro is None and greeting is None:
            return True
        if not text[after : after + 1].isupper():
            # A lower-case name counts after an intro once the detectors vouch for it
            # ("an email to hannah whitfield"), unlike "a note to the team".
            if intro is not None and after in person_starts:
                return True
            continue
        if greeting is None or _opens_line(cue.string, cue.start()):
            return True
    return False


def vouched_names(
    text: str, entities: Sequence[Entity], cues: Sequence[re.Match[str]] | None = None
) -> set[int]:
    """Where the names start that an addressee cue right before them ("congratulate X",
    "opened by X", "a card … for X") or a workplace fact right after them ("X from accounts",
    "X, from HR,", "X (from accounts)", "X called in sick") vouch for."""
    persons = [e for e in entities if e.type == EntityType.PERSON]
    if not persons:
        return set()
    starts = {e.start for e in persons}
    # A name ends right before the cue's first (consumed) character, or one ", " / " (" earlier.
    by_end: dict[int, int] = {}
    for e in persons:
        by_end[e.end] = e.start
        if text[e.end : e.end + 1] in (",", " "):
            by_end.setdefault(e.end + 1, e.start)
    vouched: set[int] = set()
    for cue in personal_cues(text) if cues is None else cues:
        if cue_group(cue, "addressee") is not None:
            if cue.end() - 1 in starts:
                vouched.add(cue.end() - 1)
        elif cue_group(cue, "affiliation") is not None:
            start = by_end.get(cue.start() - 1)
            if start is not None:
                vouched.add(start)
    return vouched


def personal_cues(text: str) -> Iterator[re.Match[str]]:
    """Every `_PERSONAL_CUE`, then every `_NEXT_TO_NAME_CUE`, in `text`, matched on " " + its
    lower-cased form. Read their groups with `cue_group`: the two patterns name different
    ones."""
    hits = _CUE_FILTER.scan(text)
    spaced: str | None = None
    for index, pattern in enumerate(_CUES):
        windows = None if hits is None else hits.windows[index]
        if windows == ():
            continue
        if spaced is None:
            spaced = " " + lower_aligned(text)
        # Where the cues can be (window ends + 1: `spaced` is one character longer), else all.
        for low, high in windows if windows is not None else ((0, len(spaced)),):
            pos = low
            while (cue := search_within(pattern, spaced, pos, high + 1)) is not None:
                pos = cue.end() - 1  # its last space may open the next cue ("ask my wife")
                yield cue


def cue_group(cue: re.Match[str], name: str) -> str | None:
    """The cue's group `name`, None where it did not take part or its pattern has none."""
    return cue[name] if name in cue.re.groupindex else None


def _opens_line(spaced: str, at: int) -> bool:
    """Only spaces or tabs between the last line break (or the start) and `at`. (Not after
    an opening quote: `echo "Hello World"`, "the classic 'Hello World' program".)"""
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
# Lower-case words inside names ("Sanne van der Berg", "Siobhán Ní Bhriain").
PARTICLES = frozenset(
    "van der den de del della di da das dos du von zu ten ter la le bin ibn al el ní nic "
    "mac ó".split()
)
_NAME_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['\u2019.-])*\.?")
# Relation or identity cues, matched on " " + lower-cased text behind one consumed non-word
# character (fast: see matching.py). `intro` and `greeting` need a capital letter next in the
# original text ("this is Anna"); a greeting must open a line ("Dear Tom").
_PERSONAL_CUE_BODY = (
    # "my colleague", "our new intern", "my former student": a possessive, at most two
    # modifiers from a closed list, then a role only private individuals have to the writer.
    r"(?:(?:my|our)\s+(?:(?:former|new|ex|old|current|previous|late|dear|best|little|elderly"
    r"|foster|adopted|step|eldest|oldest|youngest|twin"
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
    # Work and HR events about a person (`event`: what follows one is no name slot).
    r"|(?P<event>1:1\b|one-on-one|performance\s+review|employee\s+of\s+the\s+month"
    r"|joining\s+the\s+team|on\s+(?:sick\s+)?leave|abmahnung|disciplinary|exit\s+interview"
    r"|entretien\s+annuel|mitarbeitergespr[äa]ch|jahresgespr[äa]ch|functioneringsgesprek"
    r"|medarbetarsamtal|performance\s+appraisal"
    # School reports and parents' meetings are about pupils.
    r"|report\s+card|conseil\s+de\s+classe|parent-teacher|parents'?\s+evening|elternabend)"
    # Fields that hold a person's name.
    r"|(?:assignee|assigned_?to|display_?name|full_?name|customer_?name|patient_?name|employee_?name"
    r"|requester|reporter|patient|paciente|patientin|paziente|patiënt|pacjent(?:ka)?)"
    r"[\"']?[ \t]{0,3}[:=]"
    # A role right before a name the detectors found ("patient Kemal Kaya"); "a patient
    # with…", "customer Support" and "customer profile" have none. (Not "student": word
    # problems name their students.)
    r"|(?P<role>(?:patient|paciente|patiente|patientin|paziente|patiënt|pacjent(?:ka)?"
    r"|pasient|hasta|resident|bewohner(?:in)?|bewoner|residente|customer|client|cliente"
    r"|kunde|kundin|klant|employee|mitarbeiter(?:in)?|emplead[oa]|dipendente|salariée?"
    # (Or set off by a comma: "A client, Beatrix Holloway, wants a refund".)
    r"|medewerker|werknemer|anställd|pracownik)(?:\s+|,[ \t]+))"
    # A capitalised name next (see below): an honorific, a message to or from someone, a
    # record's name field; or an e-mail header that opens a line (`greeting`).
    r"|(?P<intro>(?:i'm|i am|this is|call me|calls me|named|name is|name:"
    r"|herrn?|frau|pan(?:i|a|u|ią)?|señora?|sra?\.|senhora?|signora?|sig\.(?:ra)?|mme|anh|chị"
    "|say\u0131n"  # Turkish, with its dotless i
    r"|meneer|mevrouw|dhr\.|mevr\.|fru"
    r"|(?:note|letter|message|e-?mail|reminder|card|invitation|feedback|reply|complaint"
    r"|request|recommendation|reference|warning|certificate|carta|correo|mensaje|mensagem"
    r"|lettre|courriel|brief|lettera|messaggio|kaartje|podziękowanie|certificado|certificat"
    r"|zeugnis|arbeitszeugnis|avertissement)"
    r"\s+(?:to|for|from|para|pour|für|an|à|per|voor|dla|de)(?:\s+(?:the|o|a|la|el|der|die))?"
    r"|(?:reply|respond|write|answer)\s+to|rispondi\s+a|responde\s+a|réponds\s+à"
    r"|(?:interview|meeting|review|appointment)\s+with|gesprek\s+met|entretien\s+avec"
    r"|gespräch\s+mit|reunión\s+con|colloquio\s+con|samtal\s+med"
    r")\s+"
    r"|\"(?:name|full_?name|first_?name|contact|user_?name|customer|employee|patient)\""
    r"[ \t]*:[ \t]*\"|<(?:name|full_?name|customer|employee|contact)>[ \t]*"
    r"|user[ \t]+\")"
    # Letters' salutations in the cue languages; not the greetings of "Hola Mundo", "Hallo
    # Welt", "Ciao Bella", nor names ("Cher Lloyd", "Gentile Bellini").
    r"|(?P<greeting>(?:dear|hi|hello|hey|prezad[oa]|estimad[oa]|querid[oa]|liebe[r]?"
    r"|sehr\s+geehrte[r]?|beste|geachte|drog[ia]|szanown[ya])\s+"
    r"|(?:from|to|cc|von|an|de ?|à ?|para|da):\s*)"
    r"|(?:regards|sincerely|cheers|best wishes),?[ \t]*\n)"
)
# Cues scanned apart from `_PERSONAL_CUE`, all bounded (no costly start tracking in the
# filter): the addressee and workplace cues that vouch for the name next to them, and the
# possessive relatives of seven more languages.
#
# A message, card or document for someone, a few words before the name's preposition
# ("a card from the whole office to the family of Seamus O'Donoghue", "carta de
# recomendación para Alejandro Torres"); in `_PERSONAL_CUE` the shorter "carta de" (an
# intro) would take its place. (Not "plan", "speech", "brief", "gift": "a workout plan for
# Chris Hemsworth", "which speech is attributed to Winston Churchill", "a brief introduction
# to Albert Einstein"; no word in between like "attributed" or "according", which point at
# history.)
_NEXT_TO_NAME_BODY = (
    r"(?:(?P<addressee>(?:note|letter|message|e-?mail|mail|reminder|\w{0,20}card|\w{0,20}karte"
    r"|\w{0,20}kaartje|\w{0,20}kort|svar|brev|invitation|recommendation|warning|certificate"
    r"|farewell|send-?off|carta|correo|mensaje|mensagem|lettre|courriel|lettera|messaggio"
    r"|podziękowanie|certificado|certificat|zeugnis|arbeitszeugnis|avertissement)"
    r"(?:[ \t]{1,3}(?![^\s.,;:!?]{0,27}ed\b|according\b|written\b)[^\s.,;:!?]{1,30}){0,4}"
    r"[ \t]{1,3}(?:to|for|para|pour|für|an|à|per|voor|dla"
    r"|till|til|προς)(?:[ \t]{1,3}(?:the[ \t]family[ \t]of|the|o|a|la|el|der|die|την|τον|pana"
    r"|pani|pan))?[ \t]{1,3}"
    # Someone the writer acts on, right after the verb. (Not "thank", "tell", "ask", "ping":
    # "thank Louis Pasteur", "tell Auntie Beth" in a story, "what would you ask Albert
    # Einstein", "Ping Zhang"; nor "signed", "reported" or "approved by": "signed by John
    # Hancock", "reported by Linus Torvalds".)
    r"|(?:remind|congratulate|invite|notify|inform|welcome|cc|congratulations\s{1,3}to)"
    r"\s{1,3}"
    r"|(?:opened|operated|assigned|requested|submitted|raised|filed|logged|escalated)"
    r"\s{1,3}(?:by|to)\s{1,3})"
    # Where the person works, what happened to them at work, right after the name. (Not
    # "will be out" or "will take over": "Lionel Messi will be out for three weeks".)
    r"|(?P<affiliation>from\s{1,3}(?:(?:the|our)\s{1,3})?(?:accounts?|accounting|finance"
    r"|payroll|hr|human\s{1,3}resources|it|sales|marketing|legal|procurement|purchasing"
    r"|support|reception|facilities|logistics|operations|ops|engineering|design|qa|admin"
    r"|customer\s{1,3}service)(?:\s{1,3}(?:team|department|dept|office))?\b"
    r"|(?:was|is|has\s{1,3}been|will\s{1,3}be)\s{1,3}(?:absent|off\s{1,3}sick|out\s{1,3}sick)"
    r"|called\s{1,3}in\s{1,3}sick"
    r"|missed\s{1,3}(?:\w{1,20}\s{1,3})?(?:deadlines?|shifts?|classes|sessions|appointments?)"
    r"|handed\s{1,3}in\s{1,3}(?:his|her|their)\s{1,3}notice|to\s{1,3}own\s{1,3}the)"
    # A possessive, then a relative, friend or role, in seven more languages (as "my
    # daughter": the whole request is about private people).
    r"|(?:mi|mis|mon|ma|mes|mein(?:e[mnr]?)?|minha|meu|mio|mia|mijn|mitt|min|moja|mój|moim"
    r"|mojej|mojego|mojemu|moją)"
    r"\s{1,3}"
    # Grandparents, then the Polish cases a relative takes after a preposition or verb
    # ("opiekunką mojej babci", "dla mojego syna").
    r"(?:abuel[oa]|grand-(?:mère|père)|oma|opa|gro(?:ß|ss)(?:mutter|vater)|avó|avô|nonn[oa]"
    r"|mormor|farmor|morfar|farfar|babci[aąę]?|dziad(?:ek|ka|kiem|kowi)|mam[aąy]|mamie"
    r"|tat[aąy]|tacie|córk[iąę]|córce|syn(?:a|em|owi)|żon[yąę]|żonie|męż(?:a|em|owi)"
    r"|bra(?:ta|tem|tu)|siostr[yąę]|siostrze"
    r"|hij[oa]|madre|padre|herman[oa]|espos[oa]|marido|amig[oa]|vecin[oa]|jef[ea]|alumn[oa]"
    r"|estudiante|fils|fille|mère|père|frère|sœur|femme|mari|ami|amie|voisine?|patron(?:ne)?"
    r"|élève|étudiante?|sohn|tochter|mutter|vater|bruder|schwester|freund(?:in)?|nachbar(?:in)?"
    r"|chef(?:in)?|schüler(?:in)?|filh[oa]|mãe|pai|irmã|irmão|aluna|aluno|chefe|figli[oa]"
    r"|moglie|marito|amic[oa]|vicin[oa]|capo|studente(?:ssa)?|zoon|dochter|moeder|vader|broer"
    r"|zus|vrouw|vriend(?:in)?|buurman|buurvrouw|baas|leerling|dotter|mamma|pappa|fru|vän"
    r"|granne|elev|syn|córka|matka|ojciec|brat|siostra|żona|mąż|przyjaciel(?:ka)?|sąsiad(?:ka)?"
    r"|szef(?:owa)?|uczeń|uczennica|uczennicy|ucznia)\b)"
)
_PERSONAL_CUE = re.compile(rf"[^\w]{_PERSONAL_CUE_BODY}")
_NEXT_TO_NAME_CUE = re.compile(rf"[^\w]{_NEXT_TO_NAME_BODY}")
_CUES = (_PERSONAL_CUE, _NEXT_TO_NAME_CUE)
# Most texts hold no cue at all: one Hyperscan pass says so without the Python scan.
_CUE_FILTER = Prefilter(
    [
        FilterPattern(re.compile(_PERSONAL_CUE_BODY), caseless=True, windowed=True, starts=True),
        # Bounded (about 200 characters): windows from match ends, no costly start tracking.
        FilterPattern(re.compile(_NEXT_TO_NAME_BODY), caseless=True, windowed=True),
    ]
)
