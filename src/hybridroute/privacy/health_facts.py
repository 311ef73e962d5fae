"""Health facts about someone: a diagnosis, condition or medication next to a named person.

"Sick note for Jan Kowalski, type 2 diabetes, metformin 500 mg" tells a cloud provider a
named person's health, which data-protection law treats as a special category; "what are the
symptoms of type 2 diabetes?" tells it nothing about anyone. So every health fact is found
with a score below the reporting floor (`FACT_ALONE`), and raised (`FACT_ABOUT_SOMEONE`) only
when the request also names a person in a personal context or holds one of their identifiers.

Three ways to find one, all on lower-cased text: a closed list of common conditions and
medicines in the cue languages; whatever follows "diagnosed with" and its translations (up to
three words); a word before a dose ("sertraline 50 mg").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from hybridroute.privacy.calibration import CONTACT_TYPES, PERSON_IN_CONTEXT
from hybridroute.privacy.entities import Entity, EntityType
from hybridroute.privacy.matching import WORD_CHAR
from hybridroute.privacy.pattern_recognizer import PatternRecognizer

FACT_ALONE = 0.3
FACT_ABOUT_SOMEONE = 0.9
_KEPT = 0.5  # the default reporting floor (`PrivacySettings.min_score`)

# Words with an everyday sense are left out: "stroke", "aids", "lithium", "cold", "ms".
_CONDITIONS = (
    # English
    "diabetes|type [12] diabetes|hypertension|high blood pressure|asthma|copd|cancer"
    "|breast cancer|prostate cancer|lung cancer|colon cancer|leuka?emia|lymphoma|melanoma"
    "|tumou?r|brain tumou?r|hiv|hiv-positive|hepatitis [abc]|tuberculosis|depression"
    "|major depressive disorder|clinical depression|postpartum depression|anxiety disorder"
    "|generali[sz]ed anxiety disorder|panic attacks?|panic disorder|bipolar(?: disorder)?"
    "|schizophrenia|ptsd|ocd|adhd|autism|dementia|alzheimer'?s|parkinson'?s|epilepsy"
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
_TERMS = rf"(?:{_CONDITIONS}|{_MEDICINES})"
# "Diagnosed with X", "suffers from X" in the cue languages; X is up to three words.
_DIAGNOSED = (
    r"presents\s{1,3}with|presenting\s{1,3}with|complains\s{1,3}of|suffers\s{1,3}from|suffering\s{1,3}from"
    r"|leidet\s{1,3}(?:an|unter)|souffre\s{1,3}d[e']|sufre\s{1,3}de|soffre\s{1,3}di|lijdt\s{1,3}aan|cierpi\s{1,3}na"
    r"|lider\s{1,3}av|sofre\s{1,3}de|diagnosed\s{1,3}with|diagnosis\s{0,2}(?:of|:)|diagnostiziert(?:\s{1,3}mit)?|diagnose\s{0,2}:"
    r"|diagnostiqu[ée]e?\s{1,3}(?:avec|d'une?)|diagnostic\s{0,2}:|diagnosticad[oa]\s{1,3}(?:con|de|com)"
    r"|diagn[óo]stico\s{0,2}:|diagnosticat[oa]\s{1,3}(?:con|di)|diagnosi\s{0,2}(?:di|:)"
    r"|gediagnosticeerd\s{1,3}met|zdiagnozowano(?:\s{1,3}u\s{1,3}\w{1,20})?|diagnoza\s{0,2}:|diagnosticerad\s{1,3}med"
)
_DIAGNOSIS_WORDS = r"[^\W\d_][\w'-]*(?:[ \t]+[^\W\d_][\w'-]*){0,2}"
_DOSE = r"\d{1,5}(?:[.,]\d{1,3})?\s?(?:mg|mcg|µg|iu|ie)\b"  # not ml: "add 200 ml milk"


def health_fact_recognizers() -> tuple[PatternRecognizer, ...]:
    return (
        _fact(rf"(?P<v>{_TERMS})(?![\w-])", opener=re.compile(_TERMS)),
        _fact(
            rf"(?:{_DIAGNOSED})[ \t]+(?:an?\s+|the\s+)?(?P<v>{_DIAGNOSIS_WORDS})",
            opener=re.compile(_DIAGNOSED),
        ),
        _fact(rf"(?P<v>[^\W\d_][\w-]{{3,30}})[ \t]+{_DOSE}", gate=re.compile(_DOSE)),
    )


def _fact(
    pattern: str, *, opener: re.Pattern[str] | None = None, gate: re.Pattern[str] | None = None
) -> PatternRecognizer:
    """A health fact (group `v`) found by `pattern` on lower-cased text, at `FACT_ALONE`."""
    return PatternRecognizer(
        entity=EntityType.HEALTH_CONDITION,
        pattern=re.compile(pattern),
        score=FACT_ALONE,
        lowered=True,
        not_after=WORD_CHAR,
        opener=opener,
        gate=gate,
    )


def health_facts_about_someone(entities: Sequence[Entity]) -> list[Entity]:
    """`entities` with each health fact raised if the request is about a named person (in a
    personal context) or holds an identifier of one."""
    facts = [e for e in entities if e.type == EntityType.HEALTH_CONDITION]
    if not facts:
        return list(entities)
    about_someone = any(
        (e.type == EntityType.PERSON and e.score >= PERSON_IN_CONTEXT)
        or (e.type in CONTACT_TYPES and e.score >= _KEPT)
        for e in entities
    )
    if not about_someone:
        return list(entities)
    return [
        replace(e, score=FACT_ABOUT_SOMEONE) if e.type == EntityType.HEALTH_CONDITION else e
        for e in entities
    ]
