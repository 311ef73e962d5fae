import pytest

from hybridroute.privacy.calibration import has_personal_context


@pytest.mark.parametrize(
    ("text", "personal"),
    [
        ("Dear Tom, here are the notes", True),
        ("  hi Anna, quick question", True),
        ("x\nHey Joe", True),
        ("say hi Bob", False),
        ("this is Anna from accounts", True),
        ("this is a test", False),
        ("my colleague asked about it", True),
        ("Kind regards,\nBob", True),
        ("mymother", False),
        ("Hello world", False),
        # Roles only private people have, messages to or from someone, honorifics, headers.
        ("the new intern asked", True),
        ("la paciente María acudió a consulta", True),
        ("a patient with a fever", False),  # a medical question, not someone's record
        ("feedback for our 1:1", True),
        ('{"assignee": "x"}', True),
        ("Send a reminder to Eilidh that", True),
        ("thank-you note to Margaret for", True),
        ("ask my wife", True),
        ("Napisz podziękowanie dla pani Katarzyny", True),
        ("Abmahnung für Herrn Hofmann", True),
        ("Summarize:\nFrom: Hiroshi Tanaka\nSent: Monday", True),
        ("Résume ce mail :\nDe : Camille", True),
        # Not: the same words in generic text.
        ("Analyze these customer reviews of Samsung phones", False),
        ("Joe offers his clients two plans", False),
        ("a note to self", False),
        ("the message from Mars", True),  # a capital after a message's "from": over-masks
        ("ask whether it works", False),
        ("sent from: my phone", False),
    ],
)
def test_personal_cues(text: str, personal: bool) -> None:
    assert has_personal_context(text, []) is personal
