import json

from hypothesis import given, settings
from hypothesis import strategies as st

from hybridroute.privacy import Entity, MaskSession

FILLER = st.sampled_from(["Hello ", "please send ", " to ", ", and ", "\n", "ok. ", "<", "> "])
VALUES = st.sampled_from(
    [
        ("PERSON", "Åsa Laine"),
        ("PERSON", "John Smith"),
        ("EMAIL", "jane@example.com"),
        ("US_SSN", "460-89-9847"),
        ("CREDIT_CARD", "4111 1111 1111 1111"),
        ("PHONE", "+1-984-182-0190"),
        ("IBAN", "GB82WEST12345698765432"),
    ]
)


@st.composite
def prompts(draw: st.DrawFn) -> tuple[str, list[Entity], list[str]]:
    text, entities, values = "", [], []
    for _ in range(draw(st.integers(1, 6))):
        text += draw(FILLER)
        entity_type, value = draw(VALUES)
        entities.append(
            Entity(type=entity_type, start=len(text), end=len(text) + len(value), score=1.0)
        )
        values.append(value)
        text += value
    text += draw(FILLER)
    return text, entities, values


@settings(max_examples=150, deadline=None)
@given(prompts())
def test_round_trip_and_no_value_left(case: tuple[str, list[Entity], list[str]]) -> None:
    text, entities, values = case
    session = MaskSession()
    masked = session.mask(text, entities)
    for value in values:
        assert value not in masked
    assert session.restore(masked) == text


@settings(max_examples=150, deadline=None)
@given(prompts(), st.data())
def test_stream_equals_whole_for_any_split(
    case: tuple[str, list[Entity], list[str]], data: st.DataObject
) -> None:
    text, entities, _ = case
    session = MaskSession()
    answer = "Sure: " + session.mask(text, entities) + " <PERSON_99> <PERS"
    cuts = sorted(data.draw(st.sets(st.integers(0, len(answer)), max_size=12)))
    chunks = [answer[a:b] for a, b in zip([0, *cuts], [*cuts, len(answer)], strict=True)]
    restorer = session.stream_restorer()
    emitted = []
    for chunk in chunks:
        out = restorer.feed(chunk)
        for placeholder in session.placeholders:
            # never a partial placeholder at the end of emitted text
            assert not any(
                out.endswith(placeholder[:k]) and k > 1 for k in range(2, len(placeholder))
            )
        emitted.append(out)
    emitted.append(restorer.flush())
    assert "".join(emitted) == session.restore(answer)


def test_same_value_same_placeholder_across_messages() -> None:
    session = MaskSession()
    first = session.mask("Hi John Smith", [Entity(type="PERSON", start=3, end=13, score=1.0)])
    second = session.mask(
        "John Smith again, and Ann Lee", [Entity(type="PERSON", start=22, end=29, score=1.0)]
    )
    assert first == "Hi <PERSON_1>"
    assert second == "<PERSON_1> again, and <PERSON_2>"


def test_unissued_placeholders_stay() -> None:
    session = MaskSession()
    session.mask("mail a@b.co", [Entity(type="EMAIL", start=5, end=11, score=1.0)])
    assert session.restore("<EMAIL_1> <EMAIL_2> <PERSON_1>") == "a@b.co <EMAIL_2> <PERSON_1>"


def test_placeholder_already_in_text_is_not_reused() -> None:
    session = MaskSession()
    text = "<PERSON_1> is a template; John is real"
    masked = session.mask(text, [Entity(type="PERSON", start=26, end=30, score=1.0)])
    assert masked == "<PERSON_1> is a template; <PERSON_2> is real"
    assert session.restore(masked) == text


def test_restore_json_args_escapes_values() -> None:
    session = MaskSession()
    session.mask('say "hi" Bob', [Entity(type="PERSON", start=0, end=8, score=1.0)])
    args = json.dumps({"to": "<PERSON_1>", "raw": "\\u003cPERSON_1\\u003e"})
    restored = json.loads(session.restore_json_args(args))
    assert restored["to"] == 'say "hi"'


def test_repr_shows_no_values() -> None:
    session = MaskSession()
    session.mask("secret 460-89-9847", [Entity(type="US_SSN", start=7, end=18, score=1.0)])
    assert "460" not in repr(session)
    assert "460" not in repr(session.stream_restorer())


def _scan_and_mask(session: MaskSession, text: str) -> str:
    from hybridroute.privacy import PrivacyScanner, PrivacySettings

    assessment = PrivacyScanner(PrivacySettings(ner=False)).assess(text)
    return session.mask(text, assessment.entities)


def test_a_value_read_through_escapes_is_restored_as_what_it_stands_for() -> None:
    session = MaskSession()
    masked = _scan_and_mask(session, json.dumps({"note": "my colleague Jürgen Müller"}))
    assert "ller" not in masked
    placeholder = session.placeholders[0]
    # The tool gets the name, not its escape syntax; prose gets it too.
    arguments = session.restore_json_args(json.dumps({"to": placeholder}))
    assert json.loads(arguments) == {"to": "Jürgen Müller"}
    assert session.restore(f"Hi {placeholder}") == "Hi Jürgen Müller"
    # The decoded form is swept as the same value.
    assert session.mask("Jürgen Müller called", []) == f"{placeholder} called"


def test_the_sweep_of_repeated_values_never_cuts_an_escape() -> None:
    session = MaskSession()
    once = json.dumps({"a": "my colleague \u00c9mile Zola-Brun"})  # one level: \u00c9
    assert "Zola" not in _scan_and_mask(session, once)
    twice = json.dumps({"log": json.dumps({"to": "\u00c9mile Zola-Brun"})})  # \\u00c9
    json.loads(session.mask(twice, []))  # still JSON: no "\<PERSON_1>"


def test_an_escaped_line_break_before_a_value_stays_out_of_its_mask() -> None:
    session = MaskSession()
    text = json.dumps({"content": "fix this CSV:\nemail,first_name\ntyler.brooks@icloud.com,Tyler"})
    masked = _scan_and_mask(session, text)
    assert json.loads(masked)["content"].endswith("\n<EMAIL_1>,<PERSON_1>")
    assert session.restore("<EMAIL_1>") == "tyler.brooks@icloud.com"
