"""Fictional phone numbers and documentation's sample values identify no one."""

import pytest

from hybridroute.privacy import Action, PrivacyScanner, PrivacySettings
from hybridroute.privacy.examples import is_fictional_phone


@pytest.fixture(scope="module")
def fast() -> PrivacyScanner:
    return PrivacyScanner(PrivacySettings(ner=False))


@pytest.mark.parametrize(
    "text",
    [
        "Explain the NHS number check digit with the documentation example 943 476 5919.",
        "Why does Stripe's test card 4242 4242 4242 4242 fail 3-D Secure in the sandbox?",
        "Is GB82 WEST 1234 5698 7654 32 the usual example IBAN in tutorials?",
        "The AWS docs use AKIAIOSFODNN7EXAMPLE as a sample access key id, right?",
        "A regex for US numbers like (206) 555-0142 or 555-0100, please.",
        "Is 07700 900123 one of Ofcom's numbers for TV drama?",
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
        # Not in a fictional range.
        "Call me on 0161 496 1234 or (206) 555-2142 tomorrow.",
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
