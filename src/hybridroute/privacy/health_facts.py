"""Health facts about someone: a diagnosis, condition or medication next to a named person.

"Sick note for Jan Kowalski, type 2 diabetes, metformin 500 mg" tells a cloud provider a
named person's health, which data-protection law treats as a special category; "what are the
symptoms of type 2 diabetes?" tells it nothing about anyone. So every health fact is found
with a score below the reporting floor (`FACT_LISTED`), and raised (`FACT_ABOUT_SOMEONE`) only
when the request also names a person in a personal context or holds one of their identifiers.

Four ways to find one, all on lower-cased text: a closed list of common conditions and
medicines in the cue languages; whatever follows "diagnosed with" and its translations (up to
three words); a word before a dose ("sertraline 50 mg"); a diagnosis code after its keyword
("ICD-10: E11.9").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from hybridroute.privacy.calibration import PERSON_IN_CONTEXT
from hybridroute.privacy.entities import Entity, EntityType
from hybridroute.privacy.matching import WORD_CHAR
from hybridroute.privacy.pattern_recognizer import PatternRecognizer, keyed_recognizer

# Found below the reporting floor; a fact stated about someone (after a cue such as
# "diagnosed with", or a dose) is a little stronger: it vouches for a name next to it.
FACT_LISTED = 0.3
FACT_STATED = 0.35
FACT_ABOUT_SOMEONE = 0.9
# How far from a stated fact a name counts as its subject, in characters.
_NAME_BEFORE, _NAME_AFTER = 160, 60
# Identifiers of a person (not a clinic's phone or e-mail): a fact next to one is theirs.
_PERSONAL_IDENTIFIERS = frozenset(
    {
        EntityType.MEDICAL_RECORD,
        EntityType.INSURANCE_ID,
        EntityType.US_SSN,
        EntityType.NATIONAL_ID,
        EntityType.DATE_OF_BIRTH,
        EntityType.PASSPORT,
        EntityType.DRIVER_LICENSE,
    }
)

# Words with an everyday sense are left out: "stroke", "aids", "lithium", "cold", "ms".
_CONDITIONS = (
    # English
    "diabetes|type [12] diabetes|hypertension|high blood pressure|asthma|copd|cancer"
    "|breast cancer|prostate cancer|lung cancer|colon cancer|leuka?emia|lymphoma|melanoma"
    "|tumou?r|brain tumou?r|hiv|hiv-positive|hepatitis [abc]|tuberculosis|depression"
    "|major depressive disorder|clinical depression|postpartum depression|anxiety disorder"
    "|generali[sz]ed anxiety disorder|panic attacks?|panic disorder|bipolar(?: disorder)?"
    "|schizophrenia|ptsd|ocd|adhd|autism|dementia|alzheimer(?:'?s)?|parkinson'?s|epilepsy"
    "|gestational diabetes|peanut allergy|nut allergy|allergie aux arachides"
    "|zwangerschapsdiabetes|schwangerschaftsdiabetes|diabetes gestacional"
    "|seizures|multiple sclerosis|heart attack|myocardial infarction|heart failure"
    "|atrial fibrillation|angina|arrhythmia|chronic kidney disease|kidney failure"
    "|renal failure|cirrhosis|crohn'?s(?: disease)?|ulcerative colitis|co?eliac disease"
    "|rheumatoid arthritis|osteoarthritis|lupus|fibromyalgia|psoriasis|migraines?"
    "|anorexia|bulimia|eating disorder|alcoholism|alcohol use disorder|opioid use disorder"
    "|substance use disorder|addiction|long covid|pneumonia|sepsis|chlamydia|gonorrho?ea"
    "|syphilis|genital herpes|hpv|miscarriage|infertility|endometriosis|pcos"
    "|erectile dysfunction|glaucoma|hypothyroidism|hyperthyroidism|osteoporosis"
    "|concussion|sleep apnea|insomnia|down syndrome|cerebral palsy|cystic fibrosis"
    "|sickle cell(?: disease)?|ha?emophilia|ana?emia|burnout|self-harm|suicidal"
    "|pregnant|pregnancy|chemotherapy|radiotherapy|dialysis"
    # German
    "|bluthochdruck|krebs|brustkrebs|depressionen|angststörung|schizophrenie|demenz"
    "|epilepsie|multiple sklerose|herzinfarkt|schlaganfall|bandscheibenvorfall|magersucht"
    "|alkoholsucht|lungenentzündung|schwanger|zuckerkrankheit"
    # French
    "|diabète|cancer du sein|dépression|trouble bipolaire|schizophrénie|démence"
    "|maladie d'alzheimer|épilepsie|sclérose en plaques|infarctus|insuffisance cardiaque"
    "|enceinte|chimiothérapie"
    # Spanish, Portuguese
    "|hipertensión|hipertensão|cáncer|câncer|depresión|depressão|ansiedad|ansiedade"
    "|trastorno bipolar|transtorno bipolar|esquizofrenia|demencia|demência|epilepsia"
    "|esclerosis múltiple|esclerose múltipla|infarto|ictus|vih|embarazada|grávida"
    "|quimioterapia"
    # Italian
    "|diabete|ipertensione|cancro|tumore|depressione|disturbo bipolare|demenza|epilessia"
    "|sclerosi multipla|incinta|chemioterapia"
    # Dutch
    "|suikerziekte|hoge bloeddruk|kanker|borstkanker|depressie|angststoornis|schizofrenie"
    "|dementie|hartinfarct|beroerte|zwanger"
    # Polish
    "|cukrzyca|cukrzycę|nadciśnienie|nowotwór|depresja|depresję|schizofrenię|padaczka"
    "|padaczkę|zawał serca|udar|stwardnienie rozsiane|w ciąży|chemioterapia"
    # Swedish
    "|högt blodtryck|bröstcancer|schizofreni|demens|epilepsi|hjärtinfarkt|gravid"
)
_MEDICINES = (
    "metformin|insulin|lisinopril|amlodipine|atorvastatin|simvastatin|rosuvastatin"
    "|levothyroxine|omeprazole|pantoprazole|losartan|metoprolol|bisoprolol|warfarin"
    "|warfaryn[aęy]"  # Polish, declined
    "|apixaban|rivaroxaban|clopidogrel|sertralin[ea]?|fluoxetin[ea]?|citalopram"
    "|escitalopram|paroxetin[ea]?|venlafaxin[ea]?|duloxetin[ea]?|bupropion|mirtazapin[ea]?"
    "|amitriptylin[ea]?|quetiapin[ea]?|olanzapin[ea]?|risperidon[ea]?|aripiprazol[ea]?"
    "|haloperidol|clozapin[ea]?|lamotrigin[ea]?|valproate?|levetiracetam|carbamazepin[ea]?"
    "|gabapentin[ea]?|pregabalin[ea]?|diazepam|lorazepam|alprazolam|clonazepam|zolpidem"
    "|methylphenidat[ea]?|ritalin|adderall|prozac|zoloft|xanax|oxycodone?|hydrocodone"
    "|morphine?|fentanyl|tramadol|methadone?|buprenorphine?|suboxone|naltrexone?"
    "|prednisone?|prednisolone?|methotrexate?|adalimumab|humira|tamoxifen|letrozole?"
    "|antiretrovirals?|semaglutide?|ozempic|wegovy|tirzepatide?|mounjaro|salbutamol"
    "|albuterol|ventolin|montelukast|furosemide?|spironolactone?|allopurinol|finasteride?"
    "|sildenafil|viagra|tadalafil|isotretinoin|accutane|antidepressants?|antipsychotics?"
    "|benzodiazepines?|opioids?"
)
_WORD = re.compile(r"[\w'-]+")
_WORD_BEFORE = re.compile(r"(?<![\w-])(?P<v>[^\W\d_][\w-]{3,30})[ \t]+$")
# Words before a dose that are not a medicine's name.
_NOT_MEDICINES = frozenset(
    "take takes taking took dose doses dosage daily twice once with from than about increase"
    " increased reduce reduced start started starting plus then tablet tablets capsule capsules"
    " extra another every each total maximum minimum only just over under around between"
    " least most approximately roughly up to and or of per"
    " nimmt nehmen prend prendre toma tomar prende assumere neemt neemen bierze tar".split()
)
# "Diagnosed with X", "suffers from X" in the cue languages; X is up to three words.
# Bounded gaps (`\s{1,3}`, not `\s+`): an unbounded opener needs Hyperscan's start-of-match
# tracking, which slows the whole prefilter.
_DIAGNOSED = (
    r"presents\s{1,3}with|presenting\s{1,3}with|complains\s{1,3}of|suffers\s{1,3}from"
    r"|suffering\s{1,3}from|leidet\s{1,3}(?:an|unter)|souffre\s{1,3}d[e']|sufre\s{1,3}de"
    r"|soffre\s{1,3}di|lijdt\s{1,3}aan|cierpi\s{1,3}na|lider\s{1,3}av|sofre\s{1,3}de"
    r"|diagnosed\s{1,3}with|diagnosis\s{0,2}(?:of|:)|diagnostiziert(?:\s{1,3}mit)?"
    r"|diagnose\s{0,2}:|diagnostiqu[ée]e?\s{1,3}(?:avec|d'une?)|diagnostic\s{0,2}:"
    r"|diagnosticad[oa]\s{1,3}(?:con|de|com)|diagn[óo]stico\s{0,2}:"
    r"|diagnosticat[oa]\s{1,3}(?:con|di)|diagnosi\s{0,2}(?:di|:)|gediagnosticeerd\s{1,3}met"
    r"|zdiagnozowano(?:\s{1,3}u\s{1,3}\w{1,20})?|diagnoza\s{0,2}:|diagnosticerad\s{1,3}med"
)
_ALLERGY = (
    r"allergic|allerg(?:y|ies)|allergie|allergies|allergisch|allergique|al[ée]rgic[oa]"
    r"|alergia|allergia|allergisk|uczulenie|uczulon[aey]"
)
# Up to three words, not across a conjunction ("epilepsy and takes ...").
_DIAGNOSIS_WORDS = (
    r"[^\W\d_][\w'-]*(?:[ \t]+(?!(?:and|or|but|y|e|o|et|ou|und|oder|en|och|i|oraz|ma|has)\b)"
    r"[^\W\d_][\w'-]*){0,2}"
)
_DOSE = r"\d{1,5}(?:[.,]\d{1,3})?\s?(?:mg|mcg|µg|iu|ie)\b"  # not ml: "add 200 ml milk"


def health_fact_recognizers() -> tuple[PatternRecognizer, ...]:
    """The facts stated with a cue or a dose; the listed terms are `listed_facts`."""
    return (
        PatternRecognizer(
            entity=EntityType.HEALTH_CONDITION,
            pattern=re.compile(
                rf"(?:{_DIAGNOSED})(?:(?<=')|[ \t]+)(?:an?\s+|the\s+)?(?P<v>{_DIAGNOSIS_WORDS})"
            ),
            score=FACT_STATED,
            lowered=True,
            not_after=WORD_CHAR,
            opener=re.compile(_DIAGNOSED),
        ),
        # An allergy and what to ("allergic to penicillin", "allergie sévère aux arachides",
        # "Allergie gegen Nüsse", "uczulenie na orzechy"): the whole phrase is the fact.
        PatternRecognizer(
            entity=EntityType.HEALTH_CONDITION,
            pattern=re.compile(
                rf"(?P<v>(?:{_ALLERGY})(?:\s{{1,3}}(?:severe|s[ée]v[èe]re|grave|schwere|ernstige"
                r"|ci[ęe][żz]kie))?\s{1,3}(?:to|aux?|[àa]\s{1,3}la|[àa]|contre|gegen|auf|al|ao"
                r"|voor|na|mot|p[åa])\s{1,3}[^\W\d_][\w'-]*(?:[ \t]+(?!(?:and|or|but|so|et|ou|und"
                r"|oder|y|e|en|och|i|oraz)\b)[^\W\d_][\w'-]*)?)"
            ),
            score=FACT_STATED,
            lowered=True,
            not_after=WORD_CHAR,
            opener=re.compile(_ALLERGY),
        ),
        # A diagnosis code after its keyword ("ICD-10: E11.9", "Diagnoseschlüssel F32.1"):
        # ICD-10 (and -CM: a letter, a digit, a digit or letter, a subcode) or an ICD-11
        # stem ("5A11"). Also read in a table column headed by the keyword (`id_columns.py`).
        keyed_recognizer(
            EntityType.HEALTH_CONDITION,
            r"icd(?:-?1[01]|-?9)?(?:-cm)?|diagnos(?:is|tic)\s+codes?|dx\s+codes?|diagnosecode"
            r"|diagnoseschl[üu]ssel|code\s+cim|cim-?1[01]|cie-?1[01]|codice\s+icd",
            r"(?:[a-z]\d[0-9a-z]|[0-9a-z][a-z]\d[0-9a-z])(?:\.[0-9a-z]{1,4})?(?![\w.])",
            score=FACT_STATED,
            reach=32,
        ),
        # Found by the dose, the word before it read back: searching for "a word, then a
        # dose" would try every word of a text that holds one dose anywhere.
        PatternRecognizer(
            entity=EntityType.HEALTH_CONDITION,
            pattern=re.compile(rf"(?<![\w.,]){_DOSE}"),
            score=FACT_STATED,
            check=_dosed_medicine,
            needs_digit=True,
            lowered=True,
        ),
    )


def listed_facts(lowered: str, windows: Sequence[tuple[int, int]] | None) -> list[Entity]:
    """The listed conditions and medicines in `lowered` (lower-cased text), longest phrase
    first, looked up word by word in a set (a 300-branch regex alternation costs ~0.25 ms per
    1,000 tokens of medical prose). `windows`: where the prefilter saw one (else anywhere)."""
    found: list[Entity] = []
    done = 0
    for low, high in windows if windows is not None else ((0, len(lowered)),):
        low = max(low, done)
        while low > 0 and (lowered[low - 1].isalnum() or lowered[low - 1] in "'-_"):
            low -= 1  # from the start of the word the window cuts into
        words = [(m.start(), m.end()) for m in _WORD.finditer(lowered, low, high)]
        index = 0
        while index < len(words):
            start, first_end = words[index]
            if lowered[start:first_end] in _FIRST_WORDS:
                end, size = _term_at(lowered, words, index)
            else:  # the window may cut the word: the stem is read on the whole of it
                whole = _WORD.match(lowered, start)
                end = whole.end() if whole is not None and _has_stem(whole.group()) else None
                size = 1
            if end is not None:
                found.append(
                    Entity(
                        type=EntityType.HEALTH_CONDITION, start=start, end=end, score=FACT_LISTED
                    )
                )
                done = end
            index += size
    return found


def _term_at(lowered: str, words: Sequence[tuple[int, int]], index: int) -> tuple[int | None, int]:
    """The end of the longest listed term opening at `words[index]` and its word count, or
    (None, 1)."""
    for size in range(min(_LONGEST, len(words) - index), 0, -1):
        end = words[index + size - 1][1]
        if lowered[words[index][0] : end] in _TERM_SET:
            return end, size
    return None, 1


def _has_stem(word: str) -> bool:
    """`word` (lower case) opens with a listed stem: any inflection or compound of it."""
    return any(word[:size] in stems for size, stems in _STEMS_BY_SIZE)


def _dosed_medicine(match: re.Match[str], text: str, lowered: str) -> tuple[float, int, int] | None:
    """The word right before a dose, with the dose ("sertraline 50 mg": how much someone takes
    is part of the fact), unless it is a dosing word."""
    word = _WORD_BEFORE.search(lowered, max(0, match.start() - 40), match.start())
    if word is None or word["v"] in _NOT_MEDICINES:
        return None
    return FACT_STATED, word.start("v"), match.end()


def _literals(pattern: str) -> list[str]:
    """Every string the finite `pattern` (literals, classes, `?`, groups, `|`) matches."""
    import re._parser as parser  # type: ignore[import-not-found]

    def expand(items: object) -> list[str]:
        out = [""]
        for op, arg in items:  # type: ignore[attr-defined]
            name = str(op)
            if name == "LITERAL":
                options = [chr(arg)]
            elif name == "IN":
                options = [chr(v) for o, v in arg if str(o) == "LITERAL"]
            elif name == "MAX_REPEAT":
                low, _high, sub = arg
                options = ([""] if low == 0 else []) + expand(sub)
            elif name == "SUBPATTERN":
                options = expand(arg[-1])
            elif name == "BRANCH":
                options = [x for branch in arg[1] for x in expand(branch)]
            else:
                raise ValueError(f"unsupported in a term list: {name}")
            out = [a + b for a in out for b in options]
        return out

    return expand(parser.parse(pattern))


def health_facts_about_someone(entities: Sequence[Entity], min_score: float) -> list[Entity]:
    """`entities` with each health fact raised if the request is about a named person: one in
    a personal context, or one of their identifiers. A fact stated about someone ("diagnosed
    with", a dose) is itself that context for a name up to a sentence or two before it or
    just after it ("Lukas Hoffmann has epilepsy and takes lamotrigine 100 mg"), and raises it.
    `min_score`: the reporting floor, under which an identifier does not count."""
    facts = [e for e in entities if e.type == EntityType.HEALTH_CONDITION]
    if not facts:
        return list(entities)
    stated = [e for e in facts if e.score >= FACT_STATED]
    named = {
        id(e)
        for e in entities
        if e.type == EntityType.PERSON
        and e.score < PERSON_IN_CONTEXT
        and any(f.start - _NAME_BEFORE <= e.start and e.end <= f.end + _NAME_AFTER for f in stated)
    }
    about_someone = bool(named) or any(
        (e.type == EntityType.PERSON and e.score >= PERSON_IN_CONTEXT)
        or (e.type in _PERSONAL_IDENTIFIERS and e.score >= min_score)
        for e in entities
    )
    if not about_someone:
        return list(entities)
    return [
        replace(e, score=FACT_ABOUT_SOMEONE)
        if e.type == EntityType.HEALTH_CONDITION
        else replace(e, score=PERSON_IN_CONTEXT)
        if id(e) in named
        else e
        for e in entities
    ]


# Word stems of conditions, whatever their inflection, compound or language ("insulinpflichtiger",
# "schizophrène", "celiaco", "Demenz", "epileptic"). Each is specific at a word's start: not
# "thrombo" ("trombone"), "psycho" ("psychosocial"), "depressi" ("depressing").
_STEMS = (
    "diabet diabèt diabét insulinpfl schizophr esquizofr schizofr epilep epiless padaczk "
    "autism autist autyz asthm celiac coeliac céliaq celiach zöliak celíac celiak parkinson "
    "alzheimer dementi démenc demenz demenc demênc bipolar anorex anoréx bulimi boulimi "
    "leukem leukäm leucém leucem lymphom linfom melanom carcinom metasta chemother chimioth "
    "quimiot chemioter dialys dialis pregnan schwanger embaraz grávid zwanger hypertens "
    "hipertens ipertens bluthochdr depressio depressiv dépressi depresi depresj depressã "
    "pneumon neumon tubercul hepatit cirrhos cirros arthrit artrit psoria fibromyalg "
    "skleros scléros escleros scleros migrän migrain migrañ emicran dyspraxi dyslexi "
    "infertil endometri glaucom infarct infarkt infart arrhythm arritm thrombos trombos "
    "anaemi anämi hémophil haemophil hemophil seizur convuls krampfanf psychosis psychose "
    "psicosis suicid suizid samobój overdos alcoholi alkoholi alcooli hypothyr hyperthyr "
    "thyroid tiroid covid influenz eczem ekzem cochlear wheelchair rollstuhl psychiatr "
    "radiother radiothér radioter chemo"
).split()
_STEMS_BY_SIZE = tuple(
    (size, frozenset(s for s in _STEMS if len(s) == size))
    for size in sorted({len(s) for s in _STEMS})
)
_TERM_SET = frozenset(_literals(f"{_CONDITIONS}|{_MEDICINES}"))
_LONGEST = max(len(term.split()) for term in _TERM_SET)
_FIRST_WORDS = frozenset(_WORD.match(term)[0] for term in _TERM_SET)  # type: ignore[index]
# What the prefilter looks for before `listed_facts` runs (Hyperscan takes the literals fast).
HEALTH_TERMS = re.compile(
    "|".join(re.escape(t) for t in sorted({*_TERM_SET, *_STEMS}, key=len, reverse=True))
)
