"""Values the world uses as examples, which identify no one: the fictional phone ranges, and
documentation's own sample numbers when the request says it is about examples.

"Explain the check digit on an NHS number using the documentation example 943 476 5919",
"Stripe's test card 4242 4242 4242 4242 fails with 3-D Secure", "a regex for US numbers
like 555-0123" went to the device only, as if they held someone's data: the detectors
rightly find valid numbers, but these ones are printed in every manual.

* **Fictional phone ranges** are never assigned (NANP 555-0100 to 555-0199; Ofcom's drama
  ranges such as 07700 900xxx and 020 7946 0xxx), so they are dropped wherever they stand;
  so are numbers whose last seven digits count up or down ("+49 30 1234567"), and e-mail
  addresses at the domains reserved for documentation and testing (RFC 2606 and 6761:
  example.com/.net/.org, *.example, *.test, *.invalid, *.localhost).
* **Documented sample values** (NHS Digital's 943 476 5919, the SSA's 078-05-1120, payment
  processors' test cards, the ISO 13616 and banks' example IBANs, AWS's example keys (all
  ending in "EXAMPLE" or "EXAMPLEKEY"), jwt.io's sample token) are dropped only when the
  text also says it is about examples ("example", "sample", "test", "dummy", "placeholder",
  "documentation"... in the cue languages): a real card that happens to be a test card
  number is not a thing, but a prompt that pastes one as if it were real keeps the benefit
  of the doubt.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hybridroute.privacy.entities import Entity, EntityType


def without_examples(text: str, entities: Sequence[Entity]) -> list[Entity]:
    """`entities` without the fictional phone numbers, the reserved e-mail addresses and,
    where `text` says it is about examples, the documented sample values; and without what
    lies inside a dropped number or sample, except a person's name. Run before overlaps are
    resolved: the names inside "Derek.Holt@example.com" must survive the address."""
    if not entities:
        return []
    about_examples: bool | None = None  # looked up once, when a listed value is found
    dropped: list[tuple[int, int]] = []
    kept = []
    for entity in entities:
        value = text[entity.start : entity.end]
        if entity.type == EntityType.PHONE and (
            is_fictional_phone(value) or is_placeholder_phone(value)
        ):
            dropped.append((entity.start, entity.end))
            continue
        if (
            entity.type == EntityType.EMAIL
            and is_reserved_email(value)
            and not _names_someone(value, text, entities)
        ):
            continue  # what lies inside stays: a name, the password of "user:pw@db.example.com"
        if _normalised(value) in _DOCUMENTED or _is_sample_token(value, entity.type):
            if about_examples is None:
                about_examples = _EXAMPLE_CONTEXT.search(text.lower()) is not None
            if about_examples:
                dropped.append((entity.start, entity.end))
                continue
        kept.append(entity)
    if not dropped:
        return kept
    return [
        e
        for e in kept
        if e.type == EntityType.PERSON
        or not any(start <= e.start and e.end <= end for start, end in dropped)
    ]


def _names_someone(address: str, text: str, entities: Sequence[Entity]) -> bool:
    """The address's local part holds a word of a person found in the text ("my colleague
    Anna Kowalska <anna.kowalska@example.com>"): kept, or it would give the masked name away."""
    local = address.rpartition("@")[0].lower()
    return any(
        len(word) >= 3 and word in local
        for e in entities
        if e.type == EntityType.PERSON
        for word in _NAME_WORD.findall(text[e.start : e.end].lower())
    )


_NAME_WORD = re.compile(r"[^\W\d_]+")


def is_fictional_phone(value: str) -> bool:
    """A number in a range reserved for fiction: NANP 555-0100..0199, or Ofcom's drama
    numbers."""
    digits = "".join(c for c in value if c.isdigit())
    if value.lstrip().startswith("+44") or (digits.startswith("44") and len(digits) == 12):
        digits = "0" + digits[2:]
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]  # +1 / 1- before a NANP number
    if len(digits) in (7, 10) and digits[-7:-2] == "55501":
        return True
    return len(digits) == 11 and digits.startswith(_OFCOM_DRAMA)


def is_placeholder_phone(value: str) -> bool:
    """A number whose last seven digits count up or down ("+49 30 1234567", "(555)
    123-4567"): what documentation writes for "some number", not anyone's line."""
    digits = "".join(c for c in value if c.isdigit())
    return digits.endswith(_RUNS)


_RUNS = ("1234567", "7654321", "2345678", "8765432", "3456789", "9876543")


def is_reserved_email(value: str) -> bool:
    """An address at a domain reserved for documentation or testing, which no one can own."""
    domain = value.rpartition("@")[2].lower().rstrip(".")
    return domain in _RESERVED_DOMAINS or domain.endswith(_RESERVED_SUFFIXES)


_RESERVED_DOMAINS = frozenset({"example.com", "example.net", "example.org", "localhost"})
_RESERVED_SUFFIXES = (
    ".example.com", ".example.net", ".example.org", ".example", ".test", ".invalid", ".localhost",
)  # fmt: skip


def _normalised(value: str) -> str:
    return "".join(c for c in value.upper() if c.isalnum())


def _is_sample_token(value: str, kind: str) -> bool:
    """jwt.io's token, or an AWS key as AWS's documentation writes every sample one
    ("AKIAI44QH8DHBEXAMPLE", ".../bPxRfiCYEXAMPLEKEY"; real ones are random). Not a chosen
    password or another vendor's key that happens to end so ("Winter2024EXAMPLE")."""
    if value.startswith(_JWT_IO_SAMPLE):
        return True
    return kind == EntityType.API_KEY and (
        _AWS_SAMPLE_ID.fullmatch(value) is not None
        or (len(value) == 40 and value.endswith("EXAMPLEKEY"))
    )


_AWS_SAMPLE_ID = re.compile(r"(?:AKIA|ASIA)[A-Z0-9]{9,12}EXAMPLE")


# Ofcom's numbers for drama, as the first eight digits (the rest is 000-999).
_OFCOM_DRAMA = (
    "07700900",  # mobile
    "01632960",
    "02079460",  # London
    "01134960", "01144960", "01154960", "01164960", "01174960", "01184960",
    "01214960", "01314960", "01414960", "01514960", "01614960", "01914980",
    "02896496",  # Belfast
    "02920180",  # Cardiff
    "08081570", "09098790", "03069990",
)  # fmt: skip
_DOCUMENTED = frozenset(
    _normalised(v)
    for v in (
        # NHS Digital's example; the SSA's Woolworth wallet number and its "never issued".
        "943 476 5919", "078-05-1120", "123-45-6789", "219-09-9999",
        # Payment processors' test cards (Stripe, Adyen, Braintree, PayPal sandbox).
        "4242 4242 4242 4242", "4000 0566 5566 5556", "5555 5555 5555 4444",
        "2223 0031 2200 3222", "5200 8282 8282 8210", "5105 1051 0510 5100",
        "3782 822463 10005", "3714 496353 98431", "6011 1111 1111 1117",
        "6011 0009 9013 9424", "3056 9300 0902 0004", "3622 720627 1667",
        "3566 0020 2036 0505", "6200 0000 0000 0005", "4111 1111 1111 1111",
        "4012 8888 8888 1881", "5500 0000 0000 0004", "3400 0000 0000 009",
        "4000 0000 0000 0002", "4000 0000 0000 3220", "4000 0027 6000 3184",
        # Stripe's cards for declines, 3-D Secure and disputes.
        "4000 0000 0000 9995", "4000 0000 0000 9987", "4000 0000 0000 9979",
        "4000 0000 0000 0069", "4000 0000 0000 0127", "4000 0000 0000 0119",
        "4000 0000 0000 0101", "4000 0000 0000 0341", "4000 0025 0000 3155",
        "4000 0082 6000 3178", "4000 0000 0000 3063", "4000 0000 0000 0077",
        "4000 0000 0000 0259", "4000 0000 0000 1976", "4000 0000 0000 5126",
        # The example IBANs of ISO 13616, the ECB and the banks' own pages.
        "GB82 WEST 1234 5698 7654 32", "GB29 NWBK 6016 1331 9268 19",
        "DE89 3704 0044 0532 0130 00", "FR14 2004 1010 0505 0001 3M02 606",
        "ES91 2100 0418 4502 0005 1332", "NL91 ABNA 0417 1643 00",
        "BE68 5390 0754 7034", "IT60 X054 2811 1010 0000 0123 456",
        "CH93 0076 2011 6238 5295 7", "AT61 1904 3002 3457 3201",
        # The CPFs of Brazilian validation tutorials.
        "111.444.777-35", "123.456.789-09",
        # AWS's documentation key pair; Stripe's documented secret test key.
        "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    )
)  # fmt: skip
# jwt.io's sample token (HS256, sub 1234567890, "John Doe"): its header and payload.
_JWT_IO_SAMPLE = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
)
_EXAMPLE_CONTEXT = re.compile(
    r"\b(?:examples?|samples?|test(?:ing)?|dummy|fake|placeholders?|fictional|fictitious"
    r"|documentation|docs|tutorial|sandbox|mock|demo|beispiel\w*|exemples?|ejemplos?"
    r"|esempio|esempi|voorbeeld\w*|przykład\w*|exemplos?)\b"
)
