"""Fictional phone numbers and documentation's sample values identify no one."""

import pytest

from hybridroute.privacy import Action, PrivacyScanner
from hybridroute.privacy.examples import is_fictional_phone


@pytest.mark.parametrize(
    "text",
    [
        "Explain the NHS number check digit with the documentation example 943 476 5919.",
        "Why does Stripe's test card 4242 4242 4242 4242 fail 3-D Secure in the sandbox?",
        "Is GB82 WEST 1234 5698 7654 32 the usual example IBAN in tutorials?",
        "The AWS docs use AKIAIOSFODNN7EXAMPLE as a sample access key id, right?",
        "A regex for US numbers like (206) 555-0142 or 555-0100, please.",
        "Is 07700 900123 one of Ofcom's numbers for TV drama?",
        # Set 5's development half (twelfth session): a reserved domain, a counting number,
        # Stripe's documented secret test key.
        "The tutorial uses jane@example.com and ops@staging.example as users, is that fine?",
        "How would +49 30 1234567 be written domestically in Germany?",
        "Our README shows `sk_test_4eC39HqLyjWDarjtT1zdp7dc`, the sample key from Stripe's docs.",
        # Set 6's development half (thirteenth session): Stripe's decline cards, AWS's
        # other documentation keys.
        "Use only Stripe test-mode values: 4000 0000 0000 9995 is declined for funds.",
        "Config file example:\naws_access_key_id=AKIAI44QH8DHBEXAMPLE\n"
        "aws_secret_access_key=je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    ],
)
def test_examples_are_allowed(fast: PrivacyScanner, text: str) -> None:
    assessment = fast.assess(text)
    assert assessment.entities == ()
    assert assessment.action is Action.ALLOW


@pytest.mark.parametrize(
    "text",
    [
        # A listed sample value pasted as if it were real: no word says it is an example.
        "Charge my card 4242 4242 4242 4242, expiry 12/27, for the order.",
        "Patient NHS number 943 476 5919, please draft the referral.",
        # Not in a fictional range; a real domain; not a counting run.
        "Call me on 0161 496 1234 or (206) 555-2142 tomorrow.",
        "Write to jane@examples.com or jane@example.co.uk about the invoice.",
        "Ring +49 30 1234568 after six.",
        "Set aws_access_key_id=AKIAI44QH8DHBEXAMPLE on the build box.",  # no word of examples
        # Review 15, L3: only AWS key shapes end in EXAMPLE by convention.
        "db password for the staging test box: Winter2024EXAMPLE",
    ],
)
def test_real_looking_values_stay_protected(fast: PrivacyScanner, text: str) -> None:
    assert fast.assess(text).action is not Action.ALLOW


@pytest.mark.parametrize(
    ("number", "fictional"),
    [
        ("555-0100", True),
        ("+1 (415) 555-0199", True),
        ("555-0200", False),
        ("+44 7700 900555", True),
        ("020 7946 0958", True),
        ("020 7946 1958", False),
        ("0191 498 0123", True),
    ],
)
def test_fictional_ranges(number: str, fictional: bool) -> None:
    assert is_fictional_phone(number) is fictional


def test_a_card_number_needs_a_length_its_network_issues(fast: PrivacyScanner) -> None:
    # A French NIR passed Luhn as a 15-digit "Mastercard" (Mastercard issues 16 digits only).
    text = "Prends un numéro comme 2 55 08 14 168 025 38 pour calculer la clé."
    assert all(e.type.value != "CREDIT_CARD" for e in fast.assess(text).entities)
    for card in ("5555 5555 5555 4444", "3782 822463 10005", "4222 2222 2222 2"):
        assert [e.type.value for e in fast.assess(f"card {card} please").entities] == [
            "CREDIT_CARD"
        ]


def test_a_reserved_address_never_takes_a_name_with_it(fast: PrivacyScanner) -> None:
    # Review 13: the address won over the names inside it and was then dropped, so neither
    # was masked; and an address built from a masked name gave it away.
    text = "My colleague Anna Kowalska <anna.kowalska@example.com> was diagnosed with asthma."
    found = {text[e.start : e.end] for e in fast.assess(text).entities}
    assert {"Anna Kowalska", "anna.kowalska@example.com"} <= found
    text = "Please email my sister Derek.Holt@example.com about the party."
    assessment = fast.assess(text)
    assert assessment.action is not Action.ALLOW
    assert all(
        any(
            e.start <= text.index(w) and text.index(w) + len(w) <= e.end
            for e in assessment.entities
        )
        for w in ("Derek", "Holt")
    )
