"""Rounds from held-out set 4's development half. Eleventh session: an address's city and
postcode, birth dates a clause after their label, sort codes, a card before its expiry, a
Chinese id after its keyword. Twelfth: a bank account after a sort code or routing number, an
e-mail login and its password, a `site: password` list, basic-auth and account logins,
allergies, a bare "health card" and "SIN" before a checked number."""

import pytest

from hybridroute.privacy import Action, PrivacyScanner, PrivacySettings
from hybridroute.privacy.entities import EntityType
from hybridroute.privacy.recognizers import StructuredDetector


def _found(detector: StructuredDetector, text: str, kind: EntityType) -> list[str]:
    return [text[e.start : e.end] for e in detector.detect(text) if e.type == kind]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (
            "Notice to my tenant at 27 Ashgrove Road, Leeds LS6 1AB. The lease",
            "27 Ashgrove Road, Leeds LS6 1AB",
        ),
        (
            "Nueva dirección: Calle de Alcalá 12, 2º derecha, 28014 Madrid. Gracias",
            "Calle de Alcalá 12, 2º derecha, 28014 Madrid",
        ),
        (
            "ship it to 450 N Lake Shore Dr, Chicago, IL 60611, thanks",
            "450 N Lake Shore Dr, Chicago, IL 60611",
        ),
        ("Adres: ul. Krótka 8/3, 00-950 Warszawa.", "ul. Krótka 8/3, 00-950 Warszawa"),
        ("Rua Augusta 100, Lisboa Phone: 21 000 0000", "Rua Augusta 100, Lisboa"),
        # A capitalised word that opens the next clause is not a place.
        ("I live at 12 Main Street, But I move soon", "12 Main Street"),
    ],
)
def test_an_address_runs_to_its_city_and_postcode(
    detector: StructuredDetector, text: str, address: str
) -> None:
    assert _found(detector, text, EntityType.STREET_ADDRESS) == [address]


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("DOB on my driver's licence is 04/15/1990, the DMV has 1991", "04/15/1990"),
        ("Urodziłam się 21 lipca 1985 r. w Gdańsku", "21 lipca 1985"),
        ("Mi abuela nació el 3 de febrero de 1933 en Oviedo.", "3 de febrero de 1933"),
    ],
)
def test_birth_dates(detector: StructuredDetector, text: str, date: str) -> None:
    assert _found(detector, text, EntityType.DATE_OF_BIRTH) == [date]


@pytest.mark.parametrize(
    "text",
    [
        # Being born, a clause away: a public figure's biography, not a record.
        "He was born in Honolulu, Hawaii, on August 4, 1961.",
        "La nación declaró la independencia el 9 de julio de 1816.",
        "see section b. 2 of the contract",
    ],
)
def test_no_birth_date_without_a_close_cue(detector: StructuredDetector, text: str) -> None:
    assert _found(detector, text, EntityType.DATE_OF_BIRTH) == []


def test_a_sort_code_and_a_card_before_its_expiry(detector: StructuredDetector) -> None:
    text = "Refund to sort code 20-00-00, or her card 4247 9614 6284 8548 11/28 902."
    assert _found(detector, text, EntityType.ROUTING_NUMBER) == ["20-00-00"]
    assert _found(detector, text, EntityType.CREDIT_CARD) == ["4247 9614 6284 8548"]
    # A run of groups that is no card at any group boundary stays unflagged.
    assert _found(detector, "ids 1234 5678 9012 3456 7", EntityType.CREDIT_CARD) == []


def test_a_chinese_id_right_after_its_keyword(detector: StructuredDetector) -> None:
    text = "申请人王丽华\uff0c身份证号330106199009159298\uff0c现就职于杭州"  # full-width commas
    assert _found(detector, text, EntityType.NATIONAL_ID) == ["330106199009159298"]


def test_an_iban_after_an_amount(detector: StructuredDetector) -> None:
    # The IBAN pattern started on the amount's digits ("20 naar be66…"), failed the check
    # there and skipped the IBAN inside its match.
    text = "een voorschot van €120 naar BE66 3104 2888 1243, maar"
    assert _found(detector, text, EntityType.IBAN) == ["BE66 3104 2888 1243"]


@pytest.mark.parametrize(
    ("text", "account"),
    [
        ("settlements: sort code 30-94-57, account 23119135, in my name", ["23119135"]),
        ("Sort code: 20-00-00 Account: 55779911", ["55779911"]),
        ("direct deposit: routing 111000025, account 998242996, checking", ["998242996"]),
        # A bare "account" alone is no bank's: AWS account ids, a route table.
        ("the AWS account 123456789012 is ours", []),
        ("set up routing for the account 123456789012 in us-east-1", []),
        # A Brazilian branch and account, the pair as one value.
        ("Banco do Brasil ag. 3412-7 c/c 48.902-X", ["3412-7 c/c 48.902-X"]),
        (
            "minha conta é Nubank agência 0001, conta corrente 8823417-5",
            ["0001, conta corrente 8823417-5"],
        ),
        ("see the Ag. 2024 annual report", []),
    ],
)
def test_an_account_after_a_sort_code_or_routing_number(
    detector: StructuredDetector, text: str, account: list[str]
) -> None:
    assert _found(detector, text, EntityType.BANK_ACCOUNT) == account


@pytest.mark.parametrize(
    ("text", "password"),
    [
        ("reviewers → demo@ledgerly.io / Ledg3rly!Demo#2024", ["Ledg3rly!Demo#2024"]),
        ("dump line: jo.smith@example.org:Summer2024!", ["Summer2024!"]),
        ("# basic auth fallback: opsadmin:Tr0ub4dor&Kiln", ["Tr0ub4dor&Kiln"]),
        ("the account is jira-breakglass / Oystercatcher!5521. Write", ["Oystercatcher!5521"]),
        # An SSH remote and a weak value are none.
        ("git clone git@github.com:octocat/Hello2World.git", []),
        ("write to ops@example.com / the team lead", []),
    ],
)  # fmt: skip
def test_logins_with_their_password(
    detector: StructuredDetector, text: str, password: list[str]
) -> None:
    assert _found(detector, text, EntityType.PASSWORD) == password


def test_a_list_of_site_passwords_after_a_line_naming_them(detector: StructuredDetector) -> None:
    text = (
        "I keep forgetting my passwords so I'm pasting them here:\n"
        "bank: Marigold!Otter88\nemail: sunnyside_Delft1993\nnetflix: whatever, not important\n"
        "- wifi = Kestrel#Moor42\n"
    )
    assert _found(detector, text, EntityType.PASSWORD) == [
        "Marigold!Otter88",
        "sunnyside_Delft1993",
        "Kestrel#Moor42",
    ]
    # A policy, a login and values that are no passwords on their own give none.
    policy = (
        "Passwords policy\n\nmin_length: 12\nalgorithm: argon2id\nexpiry: 90days\n"
        "username: Admin2024x\n"
    )
    assert _found(detector, policy, EntityType.PASSWORD) == []
    # Without a line naming passwords, `key: value` lines are config.
    assert _found(detector, "bank: Marigold!Otter88\n", EntityType.PASSWORD) == []


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("Ma fille a une allergie sévère aux arachides.", "allergie sévère aux arachides"),
        ("My son is allergic to cats so we never visit.", "allergic to cats"),
        ("Unsere Tochter hat eine Allergie gegen Nüsse.", "Allergie gegen Nüsse"),
        ("Babcia ma uczulenie na penicylinę.", "uczulenie na penicylinę"),
    ],
)
def test_an_allergy_and_what_to(detector: StructuredDetector, text: str, fact: str) -> None:
    assert _found(detector, text, EntityType.HEALTH_CONDITION) == [fact]


def test_an_allergy_is_a_health_fact_only_about_someone() -> None:
    scanner = PrivacyScanner(PrivacySettings(ner=False))
    general = scanner.assess("Is it common to be allergic to penicillin?")
    assert general.action == Action.ALLOW and not general.entities
    text = "Ma fille Inès Laurent a une allergie sévère aux arachides."
    about = scanner.assess(text)
    assert about.action != Action.ALLOW
    assert {text[e.start : e.end] for e in about.entities} == {
        "Inès Laurent",
        "allergie sévère aux arachides",
    }


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("son's health card (3325-198-632-PS) expired", EntityType.INSURANCE_ID, "3325-198-632-PS"),
        ("the SIN on it looks wrong — it says 628 438 491", EntityType.NATIONAL_ID, "628 438 491"),
    ],
)  # fmt: skip
def test_a_bare_health_card_or_sin_before_a_checked_number(
    detector: StructuredDetector, text: str, kind: EntityType, value: str
) -> None:
    assert _found(detector, text, kind) == [value]
    # The check digit decides: its last digit off by one, and it is no identifier.
    at = max(i for i, c in enumerate(value) if c.isdigit())
    wrong = value[:at] + str((int(value[at]) + 1) % 10) + value[at + 1 :]
    assert _found(detector, text.replace(value, wrong), kind) == []


def test_a_bare_sin_is_the_capitalised_word_only(detector: StructuredDetector) -> None:
    # Review 13: a lower-case bare "sin" is Spanish "without" before a mobile number; and
    # searched without word boundaries it opened prefilter windows inside "using", "single",
    # "business" (0.03 ms per 1,000 tokens of prose, found by privacy_ab.py).
    for text in (
        "Mi número de móvil sin el prefijo es 612 345 678",
        "Precio sin IVA: 628 438 491 euros",
        "Using a single business account since 2019: 628 438 491",
    ):
        assert _found(detector, text, EntityType.NATIONAL_ID) == []
    hits = detector.prefilter.scan("Using a single business account since 2019: 628 438 491")
    if hits is not None:  # the prefilter opens no window for the SIN recognizers there
        sin = [
            i
            for i, r in enumerate(detector.recognizers)
            if r"social[\s_]{1,3}insurance" in r.pattern.pattern or "SIN(" in r.pattern.pattern
        ]
        assert len(sin) == 2 and all(hits.windows[i] == () for i in sin)


@pytest.mark.parametrize(
    "text",
    [
        # Review 13: other things an "account" or "basic auth" names, a version after an @.
        "In the Azure portal, pick the storage account mystore01/Container2024 and enable it.",
        "Open account settings/Profile2 and save.",
        "Add basic auth support/Config2024 to the client.",
        "npm i react@18.2.0/Fiber2 now",
        # Lists of passwords that are no one's.
        "Common passwords in leaks:\nrank 1: Password1\nrank 2: Qwerty123!\n",
        "Configure the passwords section:\nmin_length: 12\nrotate: Every90Days\n",
    ],
)
def test_logins_and_lists_that_hold_no_ones_password(
    detector: StructuredDetector, text: str
) -> None:
    assert _found(detector, text, EntityType.PASSWORD) == []


def test_a_password_list_with_windows_line_endings(detector: StructuredDetector) -> None:
    text = "I keep forgetting my passwords, here they are:\r\nbank: Marigold!Otter88\r\n"
    assert _found(detector, text, EntityType.PASSWORD) == ["Marigold!Otter88"]
