"""Fourteenth session, from set 6's development half: identifiers under snake_case field names
(tool arguments and results), a routing number answered on its own line, a flat before its
street, an address after its label without a street word, phone cues in other languages,
password shapes, tutorials' CPFs, and text parts joined one per line."""

import pytest

from hybridroute.privacy import Action, PrivacyScanner
from hybridroute.privacy.entities import EntityType
from hybridroute.privacy.pattern_recognizer import identifier_spaces
from hybridroute.privacy.recognizers import StructuredDetector
from hybridroute.server.intake import carries_values
from hybridroute.server.schemas import ChatCompletionRequest
from hybridroute.server.wire import to_request


@pytest.fixture(scope="module")
def scanner() -> PrivacyScanner:
    return PrivacyScanner()


def _found(detector: StructuredDetector, text: str) -> list[tuple[EntityType, str]]:
    return [(e.type, text[e.start : e.end]) for e in detector.detect(text)]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ('{"date_of_birth": "1984-03-02"}', EntityType.DATE_OF_BIRTH, "1984-03-02"),
        ('{"member_id": "XKZ884412"}', EntityType.INSURANCE_ID, "XKZ884412"),
        ('{"account_number": "4839201755"}', EntityType.BANK_ACCOUNT, "4839201755"),
        ('{"policy_number": "HL-229184"}', EntityType.INSURANCE_ID, "HL-229184"),
        ("driver_license=D1234567", EntityType.DRIVER_LICENSE, "D1234567"),
    ],
)
def test_a_keyword_written_as_a_field_name(
    detector: StructuredDetector, text: str, kind: EntityType, value: str
) -> None:
    assert (kind, value) in _found(detector, text)


def test_field_names_take_underscores_only_outside_negated_classes() -> None:
    assert identifier_spaces(r"date\s*of\s+birth") == r"date[\s_]*of[\s_]+birth"
    assert identifier_spaces(r"sort[\s-]{0,2}code") == r"sort[\s_-]{0,2}code"
    assert identifier_spaces(r"[^\s]x\\s") == r"[^\s]x\\s"  # negated; an escaped backslash


def test_a_uuid_after_a_kebab_flag_is_no_member_id(detector: StructuredDetector) -> None:
    text = 'aws securitylake update --subscriber-id "12345ab8-1a34-1c34-1bd4-12345ab9012"'
    assert _found(detector, text) == []


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        (
            "What routing and account number go on the direct deposit form?\n021000021 / 483920175",
            EntityType.BANK_ACCOUNT,
            "021000021 / 483920175",
        ),
        ("routing 021000021 / 4839201755", EntityType.BANK_ACCOUNT, "021000021 / 4839201755"),
        ("Routing number?\n021000021", EntityType.ROUTING_NUMBER, "021000021"),
        ("routing number please\nsure: 021000021", EntityType.ROUTING_NUMBER, "021000021"),
    ],
)
def test_a_routing_number_answered_below(
    detector: StructuredDetector, text: str, kind: EntityType, value: str
) -> None:
    assert (kind, value) in _found(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "BGP routing table\nprefixes 123456789 1234567",  # no ABA check digit
        "routing number please\norder 5 021000021",  # digits before the value on its line
        "the routing rules changed\n021000021",  # "routing" alone names networks too
    ],
)
def test_not_a_routing_number_below(detector: StructuredDetector, text: str) -> None:
    kinds = {kind for kind, _ in _found(detector, text)}
    assert not kinds & {EntityType.ROUTING_NUMBER, EntityType.BANK_ACCOUNT}


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (
            "Delivery address: Flat 4, 19 Rosebery Road, Bristol BS5 6LX\n",
            "Flat 4, 19 Rosebery Road, Bristol BS5 6LX",
        ),
        ("Unit 12, 45 Station Road", "Unit 12, 45 Station Road"),
        ("Alte Anschrift: Brühl 12, 04109 Leipzig. Neue", "Brühl 12, 04109 Leipzig"),
        ("Adresse : Grand-Place 7, 1000 Bruxelles", "Grand-Place 7, 1000 Bruxelles"),
        ("Return address: Brühl 12, 04109 Leipzig", "Brühl 12, 04109 Leipzig"),
    ],
)
def test_an_address_whole(detector: StructuredDetector, text: str, address: str) -> None:
    assert (EntityType.STREET_ADDRESS, address) in _found(detector, text)


def test_a_unit_before_another_unit_is_not_joined_to_it(detector: StructuredDetector) -> None:
    # Joining "Suite 067 " onto "Apt. 162, …" made it overlap the street before it, and
    # the overlap left the town unmasked.
    text = "to 50 Point Walter Road Suite 067 Apt. 162, Chomutice, Czech Republic 33156?"
    found = [v for kind, v in _found(detector, text) if kind == EntityType.STREET_ADDRESS]
    assert "Apt. 162, Chomutice, Czech Republic 33156" in found


@pytest.mark.parametrize(
    "text", ["IP address: Port 8080, 2024 Release", "E-Mail-Adresse: Seite 12, 2019 Ausgabe"]
)
def test_labels_of_other_addresses(detector: StructuredDetector, text: str) -> None:
    assert EntityType.STREET_ADDRESS not in {kind for kind, _ in _found(detector, text)}


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Erreichbar bin ich unter 0170 14517734 oder per Mail", "0170 14517734"),
        ("ruf mich an: 0170 1451773", "0170 1451773"),
    ],
)
def test_phone_cues_in_other_languages(
    detector: StructuredDetector, text: str, number: str
) -> None:
    assert (EntityType.PHONE, number) in _found(detector, text)


@pytest.mark.parametrize(
    ("text", "password"),
    [
        ("set the admin password J3nk!ns-adm1n-Q3 on the router", "J3nk!ns-adm1n-Q3"),
        (
            "how do i change the wifi password on a fritzbox 7590? the current one is "
            "Sonnenblume_Garten2019! and the kids know it",
            "Sonnenblume_Garten2019!",
        ),
        ("    'password' => 'B4kkerij!Wijk#2023',", "B4kkerij!Wijk#2023"),
    ],
)
def test_password_shapes(detector: StructuredDetector, text: str, password: str) -> None:
    assert (EntityType.PASSWORD, password) in _found(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "password WPA2-PSK",
        "The password policy changed; the new one is ISO27001-aligned",
        "reset password, the new one is emailed to you",
        "password => $request->input('pw')",
    ],
)
def test_not_passwords(detector: StructuredDetector, text: str) -> None:
    assert EntityType.PASSWORD not in {kind for kind, _ in _found(detector, text)}


def test_a_tutorials_cpf_is_an_example(scanner: PrivacyScanner) -> None:
    question = "por que o algoritmo aceita esse CPF que aparece em todo tutorial?\n111.444.777-35"
    assert scanner.assess(question).action == Action.ALLOW
    assert scanner.assess("meu CPF é 111.444.777-35").action == Action.LOCAL_ONLY


def test_text_parts_are_read_one_per_line(scanner: PrivacyScanner) -> None:
    # Run together, "…mutualité ?Pauline …" hid a national number answered in its own part.
    body = {
        "model": "auto",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Ce numéro de registre national est-il correct ?"},
                    {"type": "text", "text": "Pauline Vanderstraeten — 97.11.28-904.79"},
                ],
            }
        ],
    }
    request = to_request(ChatCompletionRequest.model_validate(body))
    assert request.messages[0].content.count("\n") == 1
    assert scanner.assess(request.text()).action == Action.LOCAL_ONLY


@pytest.mark.parametrize(
    "text",
    [
        "Oleksandr Hrytsenko, night receptionist\nhe slept on shift twice last week. "
        "first formal warning",
        "Priyesh Varghese got let go on friday, his wife doesn't know yet",
        "Carta de amonestación para Fermín Aguirrezábal Soto por retrasos",
    ],
)
def test_a_named_person_in_a_warning_or_dismissal_is_masked(
    scanner: PrivacyScanner, text: str
) -> None:
    assessment = scanner.assess(text)
    assert "hr" in assessment.categories
    assert assessment.action == Action.MASK


@pytest.mark.parametrize(
    "text",
    [
        "Write a template for a formal warning letter",  # no one named
        "When his father was fired from his company, the family returned to Minnesota",
        "Shots were fired near the stadium last night",
    ],
)
def test_warnings_without_a_person_or_other_firings(scanner: PrivacyScanner, text: str) -> None:
    assert scanner.assess(text).action == Action.ALLOW


@pytest.mark.parametrize(
    "text",
    [
        "Card No.4111111111111111",
        "Please charge my Visa card no-4111111111111111 exp 12/28",
        "card x_4111 1111 1111 1111",
        "card no.1576629651520",  # a short UATP number, with its keyword
    ],
)
def test_a_card_after_a_labels_joiner(detector: StructuredDetector, text: str) -> None:
    # Review 16, HIGH: a card number right after "No.", "no-", "x_" was thrown away.
    assert EntityType.CREDIT_CARD in {kind for kind, _ in _found(detector, text)}


@pytest.mark.parametrize(
    "text",
    [
        "pi 3.4111111111111111",  # a decimal
        "ref 2024-4111111111111111",  # digits before the joiner
        "DynamoDBContributorInsights-PKC-MusicCollection-1576629651520",  # a timestamp
    ],
)
def test_not_a_card_after_a_joiner(detector: StructuredDetector, text: str) -> None:
    assert EntityType.CREDIT_CARD not in {kind for kind, _ in _found(detector, text)}


def test_a_request_id_holding_a_card_is_replaced() -> None:
    assert carries_values("id-4111111111111111") and carries_values("ok_id_4111111111111111")
    assert not carries_values("req-2024-11-24-000123")


@pytest.mark.parametrize(
    ("text", "cards"),
    [
        # Review 17, HIGH: a label's number before the card took the match and failed Luhn.
        ("Card No.1 4111 1111 1111 1111, Card No.2 5555 5555 5555 4444", 2),
        ("INV-88 4111 1111 1111 1111", 1),
        ("Karte Nr.2 4111111111111111", 1),
        ("card_no_4222222222222", 1),
        ("file: IMG_4519961983914549.jpg", 0),  # an identifier, no card keyword
        ("order-5330361481100457 shipped", 0),
    ],
)
def test_cards_around_labels(detector: StructuredDetector, text: str, cards: int) -> None:
    assert [kind for kind, _ in _found(detector, text)].count(EntityType.CREDIT_CARD) == cards


@pytest.mark.parametrize(
    "text",
    [
        # Review 17: a keyword opening a longer snake_case name, "Llama", "handy",
        # Laravel's validation rules, a gateway's address, public routing numbers.
        "CREATE SEQUENCE patient_id_seq START 100000;",
        "group_no_cache_ttl = 86400",
        'date_of_birth_format: "%Y-%m-%d" # e.g. 1990-01-01',
        "Llama 3.1 8B has 8030261248 parameters",
        "A handy table: 3141592 rows",
        "$request->validate(['password' => 'required|string|min:8|confirmed']);",
        "Gateway address: Port 2, 1000 Mbps",
        "BGP routing table\nprefixes: 021000021 1700000000",
    ],
)
def test_review_17_false_positives(detector: StructuredDetector, text: str) -> None:
    assert _found(detector, text) == []


def test_a_list_of_routing_numbers_is_no_account(detector: StructuredDetector) -> None:
    text = "Public routing numbers: 021000021, 026009593, 121000248"
    assert EntityType.BANK_ACCOUNT not in {kind for kind, _ in _found(detector, text)}


@pytest.mark.parametrize(
    "text",
    [
        "Why is my click handler being fired twice in React?",
        "Ask Tom why the cron job got fired twice",
        "Kevin: pylint shows a first warning on line 3",
    ],
)
def test_developer_wording_is_not_hr(scanner: PrivacyScanner, text: str) -> None:
    assert "hr" not in scanner.assess(text).categories
