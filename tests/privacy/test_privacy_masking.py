import json
import re

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


# --- Review 14 --------------------------------------------------------------------------------

NAME, MAIL = "Marta Kowalski", "zed.quux@examplecorp.io"  # invented


def _known(*values: tuple[str, str]) -> MaskSession:
    """A session that masked each (type, value) once, as the executor's first pass does."""
    session = MaskSession()
    for entity_type, value in values:
        session.mask(value, [Entity(type=entity_type, start=0, end=len(value), score=1.0)])
    return session


def test_other_spellings_of_a_known_value_are_swept_and_round_trip() -> None:
    # Review 14, M2: only the exact text was swept; a tool name, a message name or a schema
    # pattern carried "marta_kowalski", "marta.kowalski" or "zed\.quux@examplecorp\.io".
    session = _known(("PERSON", NAME), ("EMAIL", MAIL))
    forms = [
        "notify_marta_kowalski",
        "marta.kowalski",
        "MARTA  KOWALSKI",
        "Marta -_ Kowalski",
        r"^zed\.quux@examplecorp\.io$",
        "ZED.QUUX@examplecorp.IO",
        "zed_quux_examplecorp_io",
    ]
    for text in forms:
        masked = session.mask(text, [])
        assert not re.search("marta|kowalski|zed|quux|examplecorp", masked, re.I), masked
        # Each spelling has its own placeholder, so it comes back exactly as it was sent.
        assert session.restore(masked) == text
    assert session.mask("notify_marta_kowalski", []).startswith("notify_<PERSON_")
    # The pattern inside JSON text (a tool call's arguments): its escapes stay JSON's.
    arguments = json.dumps({"pattern": r"^zed\.quux@examplecorp\.io$"})
    masked = session.mask(arguments, [])
    assert "quux" not in masked and session.restore_json_args(masked) == arguments


def test_a_known_value_in_a_path_or_a_url_query_is_swept() -> None:
    # Review 15 left these: "%20" between the parts in a URL, "/" in a path.
    session = _known(("PERSON", NAME))
    for text in ("GET /search?q=Marta%20Kowalski&x=1", "see /home/marta/kowalski/notes.txt"):
        masked = session.mask(text, [])
        assert "kowalski" not in masked.lower() and session.restore(masked) == text
    # A speaker's colon is prose ("Marta: Kowalski said"), not a spelling of the value.
    assert session.mask("Marta: Kowalski said", []) == "Marta: Kowalski said"


def test_a_detected_name_is_swept_in_its_other_orders() -> None:
    # Review 15 left reversed names and an initial before the surname.
    session = MaskSession()
    session.mask("Contact Marta Kowalski", [Entity(type="PERSON", start=8, end=22, score=0.9)])
    for text in ("Kowalski, Marta (b. 1990)", "login m.kowalski", "M. Kowalski"):
        masked = session.mask(text, [])
        assert "kowalski" not in masked.lower() and session.restore(masked) == text
    # Prose in another case stays, an initial does not run into the surname, and a swept
    # spelling's own orders are not added (they would chain: "Kowalski Marta" -> "K. Marta").
    for text in ("a m kowalski", "Kowalski marta", "user mkowalski", "K. Marta"):
        assert session.mask(text, []) == text


def test_other_orders_of_a_name_leave_words_and_sentences_alone() -> None:
    # Review 17: "Paul Rice" made "price" a spelling of "P Rice"; "Grace Park" made "…the
    # park. Grace said" one of "Park Grace".
    session = MaskSession()
    session.mask("Paul Rice and Grace Park", [_person(0, 9), _person(14, 24)])
    for text in ("What is the price?", "We met at the park. Grace said hello.", "PRICE LIST"):
        assert session.mask(text, []) == text
    assert "Park" not in session.mask("Park, Grace (guest)", [])


def test_another_order_does_not_merge_two_detected_people() -> None:
    # Review 17 left it: "Kowalski, Marta" (the first name's other order) crossed into the
    # second name, and the two people went out as one placeholder.
    text = "Invite Marta Kowalski, Marta Nowak and Jan Nowak to the meeting."
    session = MaskSession()
    masked = session.mask(text, [_person(7, 21), _person(23, 34), _person(39, 48)])
    assert masked == "Invite <PERSON_1>, <PERSON_2> and <PERSON_3> to the meeting."
    assert session.restore(masked) == text
    # Where the other order holds letters of its own, it is still masked, whole.
    text = "Marta Kowalski wrote; later Kowalski, Marta signed again."
    masked = session.mask(text, [_person(0, 14)])
    assert "marta" not in masked.lower() and "kowalski" not in masked.lower()
    assert session.restore(masked) == text


def _person(start: int, end: int) -> Entity:
    return Entity(type="PERSON", start=start, end=end, score=0.9)


def test_the_sweep_keeps_word_boundaries_and_short_values_exact() -> None:
    session = _known(("PERSON", NAME), ("PERSON", "J.K"))
    for text in ("MartaKowalskiego", "xmarta_kowalski", "marta_kowalski2", "j_k", "J K", "aj.k"):
        assert session.mask(text, []) == text
    # Under three letters between separators, only the letter case may differ.
    assert session.mask("j.k", []) == "<PERSON_3>"


def test_prose_in_another_letter_case_is_not_a_known_value() -> None:
    # Review 15, L2: "Grace" and "Will Young" masked, then "say grace", "will young people".
    session = _known(("PERSON", "Grace"), ("PERSON", "Will Young"))
    text = "Say grace before the meal; will young people like it?"
    assert session.mask(text, []) == text
    # Capitals, the value's own case and identifier spellings are still the value.
    assert "<" in session.mask("GRACE", []) and "<" in session.mask("Grace", [])
    assert session.mask("notify_will_young", []) != "notify_will_young"
    # Parts run together are an identifier, in any case; a longer word is not the value.
    for text in ("notes_WillYoung_2024", "willyoung"):
        assert "oung" not in session.mask(text, [])
    assert session.mask("WillYoungster", []) == "WillYoungster"


def test_an_encoded_value_is_swept_in_its_plain_form() -> None:
    # Review 15, M2: masked as "zed.quux%40examplecorp.io", sent plainly elsewhere.
    session = _known(("EMAIL", "zed.quux%40examplecorp.io"))
    masked = session.mask("reply to ZED.QUUX@EXAMPLECORP.IO or zed_quux_examplecorp_io", [])
    assert "quux" not in masked.lower()


def test_overlapping_spans_leave_no_character_in_clear() -> None:
    # Review 14, L14: the second of two overlapping spans kept its tail ("Street 5").
    text = "Visit Marta Kowalski Street 5 tomorrow"
    person = Entity(type="PERSON", start=6, end=20, score=0.9)
    street = Entity(type="STREET_ADDRESS", start=12, end=29, score=0.9)
    session = MaskSession()
    masked = session.mask(text, [person, street])
    assert re.fullmatch(r"Visit <STREET_ADDRESS_\d+> tomorrow", masked), masked
    assert session.restore(masked) == text
    # Each value is still known on its own, so it is swept elsewhere.
    assert "Kowalski" not in session.mask("Kowalski Street 5, ask Marta Kowalski", [])


def test_altered_placeholders_of_this_session_are_restored() -> None:
    # Review 14, L5: forms an upstream model writes instead of the placeholder it was sent.
    session = _known(("PERSON", "Tom & Jo"), ("EMAIL", MAIL))
    answer = (
        "<person_1>|< PERSON_1 >|PERSON_1|\\<PERSON_1\\>|&lt;PERSON_1&gt;|&LT; email_1 &GT;"
        "|mail_PERSON_1|<EMAIL_1>."
    )
    assert session.restore(answer) == (
        f"Tom & Jo|Tom & Jo|Tom & Jo|Tom & Jo|Tom &amp; Jo|{MAIL}|mail_Tom & Jo|{MAIL}."
    )
    # Never anything this session did not issue, nor what is only like a placeholder.
    same = "<person_2> PERSON_2 PERSON_10 XPERSON_1 person_1 <PERSON_1 x &lt;EMAIL_2&gt;"
    assert session.restore(same) == same.replace("PERSON_1 x", "Tom & Jo x")
    arguments = json.dumps({"to": "person_1", "a": "< person_1 >", "b": "PERSON_1"})
    assert json.loads(session.restore_json_args(arguments)) == {
        "to": "person_1",
        "a": "Tom & Jo",
        "b": "Tom & Jo",
    }


def test_a_placeholder_the_user_wrote_in_any_form_is_not_issued() -> None:
    session = MaskSession()
    text = "the column person_1 holds John"
    masked = session.mask(text, [Entity(type="PERSON", start=26, end=30, score=1.0)])
    assert masked == "the column person_1 holds <PERSON_2>"
    assert session.restore(masked) == text


ALTERED = [
    "<PERSON_1>",
    "<person_1>",
    "< PERSON_1 >",
    "PERSON_1",
    "\\<PERSON_1\\>",
    "&lt;PERSON_1&gt;",
    "<EMAIL_1>",
    "PERSON_12",
    "xPERSON_1",
    "<PERSON_2>",
    "&lt;",
    "\\",
    "<",
]


def test_stream_equals_whole_for_every_split_of_altered_forms() -> None:
    # Every two-chunk split and the one-character chunking (Review 14's split_sweep.py).
    session = _known(("PERSON", NAME), ("EMAIL", MAIL))
    answer = "Dear " + " and ".join(ALTERED) + "!<PERS"
    want = session.restore(answer)
    assert want.count(NAME) == 6 and want.count(MAIL) == 1
    chunkings = [[answer[:i], answer[i:]] for i in range(1, len(answer))] + [list(answer)]
    for chunks in chunkings:
        restorer = session.stream_restorer()
        emitted = [restorer.feed(chunk) for chunk in chunks]
        assert "".join(emitted) + restorer.flush() == want, chunks


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([*ALTERED, " ", "x", "_", "1", "A", "&", "l", "t;", ">"])), st.data()
)
def test_stream_equals_whole_for_any_split_of_altered_forms(
    pieces: list[str], data: st.DataObject
) -> None:
    session = _known(("PERSON", NAME), ("EMAIL", MAIL))
    answer = "".join(pieces)
    cuts = sorted(data.draw(st.sets(st.integers(0, len(answer)), max_size=12)))
    chunks = [answer[a:b] for a, b in zip([0, *cuts], [*cuts, len(answer)], strict=True)]
    restorer = session.stream_restorer()
    emitted = [restorer.feed(chunk) for chunk in chunks]
    for out in emitted:  # never a partial placeholder at the end of emitted text
        assert not out.endswith(("<PERSON", "<PERSON_", "&lt;PERSON_1", "< PERSON_1"))
    assert "".join(emitted) + restorer.flush() == session.restore(answer)
