import pytest

from hybridroute.privacy import PrivacyScanner, PrivacySettings
from hybridroute.privacy.entities import Entity, EntityType
from hybridroute.privacy.health_facts import (
    FACT_ABOUT_SOMEONE,
    FACT_LISTED,
    health_facts_about_someone,
)
from hybridroute.privacy.masking import MaskSession


@pytest.fixture(scope="module")
def scanner() -> PrivacyScanner:
    return PrivacyScanner(PrivacySettings(ner=False))


def _facts(scanner: PrivacyScanner, text: str) -> tuple[str, set[str]]:
    assessment = scanner.assess(text)
    facts = {text[e.start : e.end] for e in assessment.entities if e.type == "HEALTH_CONDITION"}
    return assessment.action.value, facts


@pytest.mark.parametrize(
    ("text", "facts"),
    [
        (
            "Write a sick note for my employee Jan Kowalski: type 2 diabetes, metformin 500 mg.",
            {"type 2 diabetes", "metformin 500 mg"},
        ),
        (
            "Dear Tom, I'm sorry to hear you were diagnosed with multiple sclerosis.",
            {"multiple sclerosis"},
        ),
        (
            "Bitte Krankmeldung für Frau Anna Schmidt, Diagnose: Bandscheibenvorfall.",
            {"Bandscheibenvorfall"},
        ),
        # An unlisted medicine, found by its dose; an unlisted condition after its cue.
        ("Dear Priya, remember the zuclopenthixol 10 mg tonight.", {"zuclopenthixol 10 mg"}),
        (
            "Note for patient Maria Lopez: suffers from vestibular neuritis.",
            {"vestibular neuritis"},
        ),
        # An identifier of the person is enough.
        ("NHS No: 943 476 5919. Summarise: on sertraline since May.", {"sertraline"}),
        # Diagnosis codes after their keyword (ICD-10, ICD-10-CM, German), and in a table's
        # column headed by one next to a name column.
        ("Referral for patient Maria Lopez, ICD-10: E11.9, HbA1c rising.", {"E11.9"}),
        ("my colleague Tom Baker, dx code M54.5, needs a standing desk", {"M54.5"}),
        ("Krankmeldung für Frau Anna Schmidt, Diagnoseschlüssel F32.1", {"F32.1"}),
        ("name,icd10,ward\nMaria Lopez,E11.9,B2\nJohn Smith,J45.909,C1\n", {"E11.9", "J45.909"}),
        # Bare "alzheimer" (Dutch, German), gestational diabetes.
        ("Mijn moeder Anneke de Groot heeft de diagnose alzheimer gekregen.", {"alzheimer"}),
        ("my wife Gemma Hart was just told she has gestational diabetes", {"gestational diabetes"}),
    ],
)
def test_a_named_persons_health_is_protected(
    scanner: PrivacyScanner, text: str, facts: set[str]
) -> None:
    action, found = _facts(scanner, text)
    assert action in ("mask", "local_only")
    assert facts <= found


def test_masking_hides_the_fact_with_the_name(scanner: PrivacyScanner) -> None:
    text = "Write a sick note for my employee Jan Kowalski: type 2 diabetes, metformin 500 mg."
    assessment = scanner.assess(text)
    assert assessment.action.value == "mask"  # the default: mask, not keep on the device
    masked = MaskSession().mask(text, assessment.entities)
    for value in ("Jan Kowalski", "diabetes", "metformin"):
        assert value not in masked
    assert "<HEALTH_CONDITION_1>" in masked


def test_a_stricter_weight_keeps_it_on_the_device() -> None:
    strict = PrivacyScanner(PrivacySettings(ner=False, sensitivity={"HEALTH_CONDITION": 0.95}))
    text = "Dear Tom, I'm sorry to hear you were diagnosed with multiple sclerosis."
    assert strict.assess(text).action.value == "local_only"


@pytest.mark.parametrize(
    "text",
    [
        "What are the symptoms of type 1 diabetes?",
        "I was diagnosed with HIV last month, how do I tell my partner?",  # no one named
        "Compare metformin 500 mg and 1000 mg dosing for a pharmacology exam.",
        "Recipe for Anna Berg: add 200 ml milk and 500 mg salt",  # a lone name, no context
        "What does ICD-10 code E11.9 mean, and how does it map to ICD-11 5A11?",
    ],
)
def test_health_facts_about_no_one_are_not_reported(scanner: PrivacyScanner, text: str) -> None:
    action, found = _facts(scanner, text)
    assert found == set()
    assert action != "local_only"


def test_only_a_person_in_context_raises_a_fact() -> None:
    fact = Entity(type=EntityType.HEALTH_CONDITION, start=0, end=5, score=FACT_LISTED)
    lone_name = Entity(type=EntityType.PERSON, start=10, end=15, score=0.7)
    named = Entity(type=EntityType.PERSON, start=10, end=15, score=0.85)
    assert health_facts_about_someone([fact, lone_name], 0.5)[0].score == FACT_LISTED
    assert health_facts_about_someone([fact, named], 0.5)[0].score == FACT_ABOUT_SOMEONE


@pytest.mark.parametrize(
    ("text", "name", "fact"),
    [
        # Review 11: a fact stated about someone vouches for the name next to it.
        (
            "Lukas Hoffmann has epilepsy and takes lamotrigine 100 mg daily.",
            "Lukas Hoffmann",
            "lamotrigine",
        ),
        ("Tom Becker, 45, presents with chest pain; on apixaban.", "Tom Becker", "chest pain"),
        (
            "Monsieur Julien Moreau souffre d'une sclérose en plaques.",
            "Julien Moreau",
            "sclérose en plaques",
        ),
    ],
)
def test_a_stated_fact_makes_the_name_next_to_it_personal(
    scanner: PrivacyScanner, text: str, name: str, fact: str
) -> None:
    assessment = scanner.assess(text)
    masked = MaskSession().mask(text, assessment.entities)
    assert assessment.action.value in ("mask", "local_only")
    assert name not in masked and fact not in masked


def test_the_longest_listed_term_wins_and_a_conjunction_ends_a_stated_fact(
    scanner: PrivacyScanner,
) -> None:
    _, found = _facts(
        scanner, "Dear Claire, le cancer du sein de votre mère, diagnosed with epilepsy and takes"
    )
    assert {"cancer du sein", "epilepsy"} <= found
    assert "epilepsy and takes" not in found


def test_a_word_before_a_dose_is_read_back_from_the_dose(scanner: PrivacyScanner) -> None:
    _, found = _facts(
        scanner, "Dear Ana, take 2 tablets, zuclopenthixol 10 mg, and take 5 mg more."
    )
    assert "zuclopenthixol 10 mg" in found  # the dose is part of the fact
    assert not any(fact.startswith(("take", "more")) for fact in found)


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        # A condition's stem, whatever its inflection, compound or language (twelfth session).
        ("Herr Grzegorz Nowakowski ist seit gestern insulinpflichtig.", "insulinpflichtig"),
        ("Mon frère Yannick Le Goff est schizophrène depuis 2019.", "schizophrène"),
        ("Mio figlio Leonardo Capobianco è celiaco, mi scrivi una lettera?", "celiaco"),
        ("Meine Mutter Ingrid Hauser hat Demenz im Frühstadium.", "Demenz"),
        ("my colleague Tomasz Wrona is epileptic, what should first aid do?", "epileptic"),
    ],
)
def test_a_condition_is_known_by_its_stem(scanner: PrivacyScanner, text: str, fact: str) -> None:
    action, facts = _facts(scanner, text)
    assert action != "allow" and fact in facts


@pytest.mark.parametrize(
    "text",
    [
        "My colleague Anna Berg plays the trombone and found the review depressing.",
        "My colleague Anna Berg studies psychosocial care.",
    ],
)
def test_a_stem_is_specific_at_a_words_start(scanner: PrivacyScanner, text: str) -> None:
    assert _facts(scanner, text)[1] == set()
