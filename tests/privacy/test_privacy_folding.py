"""The detection view: look-alike characters folded to ASCII, spans mapped back."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hybridroute.privacy import MaskSession, PrivacyScanner, PrivacySettings
from hybridroute.privacy.folding import _CONFUSABLE, _FOLDABLE, _fold_char, fold

FULL_WIDTH_SSN = "\uff15\uff13\uff16-\uff12\uff12-\uff11\uff12\uff13\uff14"


def test_ascii_text_is_the_view_itself() -> None:
    view = fold("My SSN is 536-22-1234")
    assert view.text == "My SSN is 536-22-1234" and not view.changed
    assert view.span(10, 21) == (10, 21)


@pytest.mark.parametrize(
    ("original", "folded"),
    [
        (FULL_WIDTH_SSN, "536-22-1234"),
        ("536\u200b-22-1234", "536-22-1234"),  # zero-width space
        ("536\u00ad-22-1234", "536-22-1234"),  # soft hyphen
        ("536\u201322\u20131234", "536-22-1234"),  # en dashes
        ("4111\u20091111\u00a01111 1111", "4111 1111 1111 1111"),  # thin, no-break spaces
        ("\u0665\u0663\u0666", "536"),  # Arabic-Indic digits
        ("john.smith\uff20example.com", "john.smith@example.com"),
        ("john.smith@ex\u0430mple.com", "john.smith@example.com"),  # Cyrillic a
    ],
)
def test_look_alikes_read_as_ascii(original: str, folded: str) -> None:
    assert fold(original).text == folded


def test_words_of_another_script_stay_as_they_are() -> None:
    # Only a word that mixes Latin letters with look-alikes is folded: not Russian prose.
    text = "\u041f\u0440\u0438\u0432\u0435\u0442 \u0441\u043e\u0441\u0435\u0434, John"
    assert fold(text).text == text


def test_a_span_maps_back_over_invisible_characters() -> None:
    original = "SSN 5\u200b36-22-1234 ok"
    view = fold(original)
    start = view.text.index("536")
    begin, end = view.span(start, start + len("536-22-1234"))
    assert original[begin:end] == "5\u200b36-22-1234"


PIECES = st.lists(
    st.sampled_from(
        [
            "a",
            "5",
            " ",
            "-",
            "\u200b",
            "\u00a0",
            "\u2013",
            "\uff15",
            "\u0430",
            "\u0665",
            "@",
            "\u00e9",
        ]
    ),
    max_size=30,
)


@given(PIECES)
def test_every_folded_character_comes_from_its_original(pieces: list[str]) -> None:
    original = "".join(pieces)
    view = fold(original)
    covered = set()
    for index, char in enumerate(view.text):
        begin, end = view.span(index, index + 1)
        assert end == begin + 1
        source = original[begin]
        assert char in (source, _fold_char(source), _CONFUSABLE.get(source))
        covered.add(begin)
    # What the view leaves out is only invisible characters.
    assert all(_fold_char(original[i]) == "" for i in set(range(len(original))) - covered)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (f"My SSN is {FULL_WIDTH_SSN}", FULL_WIDTH_SSN),
        ("My SSN is 536\u200b-22-1234", "536\u200b-22-1234"),
        ("card 4111\u20091111\u20091111\u20091111", "4111\u20091111\u20091111\u20091111"),
        ("mail john\u200b.smith@mailhost.net", "john\u200b.smith@mailhost.net"),
        ("mail john.smith@m\u0430ilhost.net", "john.smith@m\u0430ilhost.net"),
        ("Forward it to Derek\u200bHolt today", "Derek\u200bHolt"),
    ],
)
def test_the_scanner_finds_and_masks_the_original_characters(text: str, value: str) -> None:
    assessment = PrivacyScanner(PrivacySettings(ner=False)).assess(text)
    assert value in [text[e.start : e.end] for e in assessment.entities]
    masked = MaskSession().mask(text, assessment.entities)
    assert value not in masked and ">" in masked
    # Nothing of the value survives next to the placeholder (the invisible characters too).
    assert not any(ch in masked for ch in "\u200b\uff15\u0430\u2009")


def test_the_candidate_set_covers_every_character_that_folds() -> None:
    # The ranges are written out for speed; a newer Unicode database must not slip past them.
    planes = [*range(0x80, 0x20000), *range(0xE0000, 0xE0080)]
    missing = [hex(c) for c in planes if _fold_char(chr(c)) is not None and chr(c) not in _FOLDABLE]
    assert missing == []


@pytest.mark.parametrize(
    ("text", "view"),
    [
        # JSON inside a JSON string, and json.dumps' ASCII output.
        ('{\\"password\\": \\"Hunter2!x9\\"}', '{"password": "Hunter2!x9"}'),
        ("J\\u00fcrgen M\\u00fcller", "Jürgen Müller"),
        ("536\\u002d22\\u002d1234", "536-22-1234"),
        ("emoji \\ud83d\\ude00", "emoji \U0001f600"),
        # A decoded character is folded as a written one would be.
        ("536\\u00a022\\u200b-1234", "536 22-1234"),
        ("\\uff15\\uff13\\uff16", "536"),
        # Left to right: an escaped backslash, then a plain quote.
        ('a\\\\"b', 'a\\"b'),
        ("C:\\\\Users\\\\anna", "C:\\Users\\anna"),
        # Line breaks and tabs: a JSON string's table or e-mail header is read as lines.
        ("name,email\\nAnna Nowak,a@b.pl\\tok", "name,email\nAnna Nowak,a@b.pl\tok"),
    ],
)
def test_json_escapes_are_read_as_what_they_stand_for(text: str, view: str) -> None:
    assert fold(text).text == view


@pytest.mark.parametrize(
    "text",
    [
        "half a pair \\ud83d alone",
        "regex \\d{3}-\\d{2} and \\w+",
    ],
)
def test_what_is_no_json_escape_stays(text: str) -> None:
    assert fold(text).text == text


ESCAPED_PIECES = st.lists(
    st.sampled_from(
        ["a", "5", " ", "\\", '\\"', "\\\\", "\\/", "\\u00e9", "\\u200b", "\\uff15",
         "\\ud83d\\ude00", "\\ud83d", "\\n", "\u00a0", "\u200b", '"', "u", "00e9"]
    ),
    max_size=30,
)  # fmt: skip


@given(ESCAPED_PIECES)
def test_every_view_character_maps_to_whole_escapes(pieces: list[str]) -> None:
    original = "".join(pieces)
    view = fold(original)
    for index, char in enumerate(view.text):
        begin, end = view.span(index, index + 1)
        source = original[begin:end]
        if source.startswith("\\") and end - begin > 1:
            # A whole escape: decoding it (then folding) gives the view's character.
            decoded = json.loads(f'"{source}"')
            assert char in (decoded, _fold_char(decoded) if not decoded.isascii() else decoded)
        else:
            assert end == begin + 1
            assert char in (source, _fold_char(source))


def test_masking_escaped_json_keeps_it_valid_and_leaves_no_value() -> None:
    arguments = json.dumps(
        {"name": "Jürgen Müller", "email": "jürgen.müller@mailhost.net", "ssn": "536-22-1234"}
    ).replace("-", "\\u002d")
    scanner = PrivacyScanner(PrivacySettings(ner=False))
    assessment = scanner.assess(arguments)
    masked = MaskSession().mask(arguments, assessment.entities)
    decoded = json.loads(masked)  # still JSON: no placeholder cuts an escape
    assert decoded["email"] == "<EMAIL_1>" and decoded["ssn"] == "<US_SSN_1>"
    assert "ller" not in masked and "1234" not in masked


@pytest.mark.parametrize(
    ("text", "view"),
    [
        ("zed.quux%40examplecorp.io", "zed.quux@examplecorp.io"),
        ("536%2D22%2D1234", "536-22-1234"),
        ("J%C3%BCrgen%20M%C3%BCller", "Jürgen Müller"),
        ("zed.quux&#64;examplecorp.io", "zed.quux@examplecorp.io"),
        ("536&#x2D;22&#45;1234", "536-22-1234"),
        ("zed.quux&commat;examplecorp.io", "zed.quux@examplecorp.io"),
        ("4111&nbsp;1111", "4111 1111"),  # no-break space, then folded like one written out
    ],
)
def test_percent_encoding_and_html_references_are_read_plainly(text: str, view: str) -> None:
    assert fold(text).text == view


@pytest.mark.parametrize(
    "text",
    [
        "Growth was 12% and 15%; R&D spent 4m",
        "%0A%00 are control characters, &#0; and &#xD800; no characters, &nosuch; no name",
        "%C3%28 is no UTF-8, &amp without its semicolon stays",
        # URL structure stays: "/", ":", "?" and "<" encoded inside a component are data.
        "https://deploy:he%2F%2Fo@pypi.example.net/a%3Fb%3Ac%3C",
    ],
)
def test_what_is_no_reference_stays(text: str) -> None:
    view = fold(text)
    for token in ("%0A", "%00", "&#0;", "&#xD800;", "&nosuch;", "%C3", "%2F", "%3F", "%3A"):
        assert (token in text) == (token in view.text)


@pytest.mark.parametrize(
    ("text", "view"),
    [
        (
            "search?q=Marta+Kowalski+4111+1111+1111+1111",
            "search?q=Marta Kowalski 4111 1111 1111 1111",
        ),
        ("/s?a=1&ssn=460+89+9847#top", "/s?a=1&ssn=460 89 9847#top"),
        ("/find?tel=%2B48+601+284+517", "/find?tel=+48 601 284 517"),  # "%2B" is the plus
    ],
)
def test_a_plus_in_a_url_query_value_reads_as_a_space(text: str, view: str) -> None:
    assert fold(text).text == view


@pytest.mark.parametrize(
    "text",
    [
        "What is 2+2=4? and x = a+b",  # arithmetic and code, no query
        "?email=marta+news@mailhost.net",  # an unencoded e-mail address keeps its tag
        "?q=+48&r=c++",  # a value's first and last characters
    ],
)
def test_other_pluses_stay(text: str) -> None:
    assert fold(text).text == text


def test_a_card_in_a_search_url_is_found_and_masked_whole() -> None:
    scanner = PrivacyScanner(PrivacySettings(ner=False))
    text = "GET https://shop.mailhost.net/search?q=refund+4539+1488+0343+6467&page=2"
    found = [(e.type.value, text[e.start : e.end]) for e in scanner.assess(text).entities]
    assert ("CREDIT_CARD", "4539+1488+0343+6467") in found


def test_a_url_password_stops_at_the_query() -> None:
    # Review 15, L1: "@" past "?" is no password's end.
    scanner = PrivacyScanner(PrivacySettings(ner=False))
    assert (
        scanner.assess("https://zed@intranet.example.com:8443?next=reports@weekly").entities == ()
    )
    text = "https://admin:hunter22@db.example.net?contact=zed.quux@examplecorp.io"
    found = [(e.type.value, text[e.start : e.end]) for e in scanner.assess(text).entities]
    assert ("PASSWORD", "hunter22") in found


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("fetch https://crm.example.net/c?to=zed.quux%40examplecorp.io&x=1",
         "zed.quux%40examplecorp.io", "EMAIL"),
        ("ssn=536%2D22%2D1234", "536%2D22%2D1234", "US_SSN"),
        ("write to zed.quux&#64;examplecorp.io today", "zed.quux&#64;examplecorp.io", "EMAIL"),
        ("postgres://admin:p%40ssw0rd99@db.internal:5432/app", "p%40ssw0rd99", "PASSWORD"),
        ("git clone https://bob%40corp.com:S3cretPass99@git.corp.com/r.git", "S3cretPass99",
         "PASSWORD"),
    ],
)  # fmt: skip
def test_encoded_values_are_found_and_masked_whole(text: str, value: str, kind: str) -> None:
    assessment = PrivacyScanner(PrivacySettings(ner=False)).assess(text)
    assert (kind, value) in [(e.type.value, text[e.start : e.end]) for e in assessment.entities]
    masked = MaskSession().mask(text, assessment.entities)
    assert value not in masked
