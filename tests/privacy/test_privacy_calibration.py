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
    ],
)
def test_personal_cues(text: str, personal: bool) -> None:
    assert has_personal_context(text, []) is personal
