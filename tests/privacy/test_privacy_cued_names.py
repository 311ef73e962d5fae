"""Names right after a personal cue, and tables whose header names a name column."""

import pytest

from hybridroute.privacy import Action, PrivacyScanner
from hybridroute.privacy.cued_names import names_after_cues
from hybridroute.privacy.entities import EntityType
from hybridroute.privacy.names import NameList
from hybridroute.privacy.records import names_a_table_column


@pytest.fixture(scope="module")
def names() -> NameList:
    return NameList.load()


def _persons(scanner: PrivacyScanner, text: str) -> list[str]:
    assessment = scanner.assess(text)
    return [text[e.start : e.end] for e in assessment.entities if e.type == EntityType.PERSON]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # Lower case after a role: listed names ("emeka", "nwachukwu")...
        ("my landlord emeka nwachukwu wants to raise the rent", "emeka nwachukwu"),
        ("patient marcus delaney in bay 4 refused his meds", "marcus delaney"),
        ("customer bethany clarke says the machine was damaged", "bethany clarke"),
        # ...or a listed name first, then unknown words; a contraction ends the name.
        ("the new intern chen jiahui doesn't have a laptop yet", "chen jiahui"),
        ("write a follow up email to hannah whitfield from the interview", "hannah whitfield"),
        # Capitalised: a listed name with unknown words, particles inside.
        ("My colleague Zhang Xiaoming keeps booking meetings at lunch", "Zhang Xiaoming"),
        ("een brief voor mijn huurder Pieter van der Berg? Hij", "Pieter van der Berg"),
        ("a reference letter for my former student Siobhán Ní Bhriain, who", "Siobhán Ní Bhriain"),
        # Two unknown capitalised words after an honorific or a role.
        ("Napisz podziękowanie dla pani Katarzyny Wiśniewskiej za pomoc", "Katarzyny Wiśniewskiej"),
        # A curly apostrophe is no acronym.
        ("a warning letter for my tenant Declan O\u2019Sullivan today", "Declan O\u2019Sullivan"),
        # A place makes a surname after a particle ("Vries" is a place in the list).
        ("samenvatting: 'Gesprek met Anneke de Vries (leerling 3B)'", "Anneke de Vries"),
        # A message a few words before its preposition; an addressee, a lower-case one too.
        ("pls write a warning letter to tomasz nowicki about his shifts", "tomasz nowicki"),
        ("Escreva uma mensagem de parabéns para o João Pedro Carvalho", "João Pedro Carvalho"),
    ],
)
def test_a_name_after_a_cue_is_a_masked_person(fast: PrivacyScanner, text: str, name: str) -> None:
    assert name in _persons(fast, text)
    assert fast.assess(text).action is not Action.ALLOW


@pytest.mark.parametrize(
    "text",
    [
        "a patient with diabetes needs advice",
        "our customer support team is slow",
        "Send a note to the team about Friday",
        "my colleague said the build is broken",
        "Write an email to Customer Success about churn",
        # After a message, reply or meeting, unknown capitalised words are often a firm.
        "Write a complaint to Deutsche Bahn about delays",
        "a reminder to Jira Admins",
        "Draft an email to Acme Corp about the invoice",
        # Headers, greetings, sign-offs and record fields also name firms and bots.
        "From: Deutsche Bahn\nSubject: your ticket",
        "cc: Jira Admins",
        "Best regards,\nDeutsche Telekom",
        'reporter: "Dependabot Preview"',
        # Characters in stories: "named" gives no slot.
        "Create an NPC: a grumpy dwarven blacksmith named Thorgrim Ironfoot with a secret",
        # A possessive ends the name, a place opens none.
        "Write a letter to Santa Claus",
    ],
)
def test_no_name_where_the_words_after_a_cue_are_no_name(fast: PrivacyScanner, text: str) -> None:
    assert fast.assess(text).action is Action.ALLOW


def test_a_longer_name_replaces_the_lone_name_found_there(names: NameList) -> None:
    text = "My colleague Zhang Xiaoming keeps booking"
    [found] = names_after_cues(text, names, [], score=0.85)
    assert text[found.start : found.end] == "Zhang Xiaoming"
    # Already found in full: nothing added.
    assert names_after_cues(text, names, [found], score=0.85) == []


@pytest.mark.parametrize(
    "text",
    [
        "Clean up this CSV:\nname,department,start_date\nMehmet Aksoy,Sales,2021-03-01\n",
        "| Name | Team | Start |\n|---|---|---|\n| Priya Raghunathan | Platform | May |",
        "Customer list:\nfirst_name\tlast_name\tcity\nBjörn\tLindqvist\tUppsala",
        "| Mitarbeiter | Abteilung |\n|---|---|\n| Benedikt Schwarzer | Einkauf |",
    ],
)
def test_a_person_in_a_name_column_is_a_record(fast: PrivacyScanner, text: str) -> None:
    assert fast.assess(text).action is not Action.ALLOW


@pytest.mark.parametrize(
    "text",
    [
        # A "name" column of products or cities holds no person.
        "Sort these products:\nname,price\nWidget Pro,19.99\nGadget Max,24.50",
        "| Name | Population |\n|---|---|\n| Paris | 2100000 |",
        # A person in another column, or a prose line that does not split like the header.
        "| Book | Author |\n|---|---|\n| Emma | Jane Austen |",
        "Name, age and address are required.\nMehmet Aksoy said, rightly, no.",
        # One named cell is no header: a call's arguments, one per line.
        "set_cookie(\n    name,\n    Mehmet Aksoy,\n)",
        # "ad" (Turkish for name) is an English word in ad tables.
        "ad,clicks\nSummer Sale,120\nMehmet Aksoy Tour,300",
    ],
)
def test_no_record_without_a_person_in_a_name_column(fast: PrivacyScanner, text: str) -> None:
    entities = fast.detectors[1].detect(text)
    assert not names_a_table_column(text, entities)


def test_lone_names_in_a_tables_name_columns_are_masked(fast: PrivacyScanner) -> None:
    # A roster split into first and last name columns: each cell is a lone name (0.75,
    # below the mask threshold alone), together someone's full name.
    text = (
        "Fix this CSV import:\nfirst_name,last_name,dept\n"
        "Diego,Fernández,Logistics\nMaria,Kowalski,Sales"
    )
    assessment = fast.assess(text)
    assert assessment.action is Action.MASK
    masked = {text[e.start : e.end] for e in assessment.entities if e.score >= 0.85}
    assert {"Diego", "Fernández", "Maria", "Kowalski"} <= masked


def test_one_lone_name_in_a_name_column_stays_lone(fast: PrivacyScanner) -> None:
    # One first name in a "name" column may be a product's: not raised alone.
    text = "Price list:\nname,price\nJasmine,3.50\nDarjeeling,4.00"
    assert fast.assess(text).action is Action.ALLOW


def test_every_person_in_a_row_is_read_in_its_own_column() -> None:
    # A person in a non-name column before the name column does not hide the row's name.
    from hybridroute.privacy.entities import Entity, EntityType
    from hybridroute.privacy.records import persons_in_name_columns

    text = "team,name\nHarper Lee Fans,Diego Fernández\n"
    people = [
        Entity(type=EntityType.PERSON, start=text.index(n), end=text.index(n) + len(n),
               score=0.85, source="names")
        for n in ("Harper Lee", "Diego Fernández")
    ]  # fmt: skip
    assert [text[e.start : e.end] for e in persons_in_name_columns(text, people)] == [
        "Diego Fernández"
    ]


def test_a_workplace_fact_opens_no_name_slot(names: NameList) -> None:
    # "from accounts" follows the name it vouches for; what comes after it is no name.
    text = "Rohit from accounts Kasia Nowak approved"
    assert names_after_cues(text, names, [], score=0.85) == []


@pytest.mark.parametrize(
    "event",
    ["after the exit interview", "our parents evening:", "the report card", "parent-teacher"],
)
def test_after_an_event_an_unlisted_run_is_no_name(fast: PrivacyScanner, event: str) -> None:
    # Every HR or school event among the cues is an event here: after one a name needs a
    # listed word, as after a message or a header (the school events and five HR events were
    # missing from the old copy of the list and counted as roles).
    assert _persons(fast, f"{event} Zorblax Quimby") == []
    assert _persons(fast, f"{event} Lena Fischer") == ["Lena Fischer"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # A role set off by a comma, and a foster child.
        ("A client, Beatrix Holloway, wants a refund for her dog's grooming.", "Beatrix Holloway"),
        ("Our foster kid, Dominic Reyes, starts at a new school in September.", "Dominic Reyes"),
    ],
)
def test_a_role_set_off_by_a_comma(fast: PrivacyScanner, text: str, name: str) -> None:
    assessment = fast.assess(text)
    assert name in _persons(fast, text)
    assert assessment.action is Action.MASK
