import json
from collections.abc import Sequence

import pytest
from pydantic import ValidationError

from hybridroute.privacy import (
    Action,
    DetectorTimeout,
    Entity,
    PrivacyScanner,
    PrivacySettings,
    SpacyNer,
)


class Exploding:
    name = "exploding"

    def detect(self, text: str) -> Sequence[Entity]:
        raise RuntimeError("boom")


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("My SSN is 460-89-9847", Action.LOCAL_ONLY),
        ("charge card 4111 1111 1111 1111", Action.LOCAL_ONLY),
        ("reach me at jane@mailhost.net", Action.MASK),
        ("Explain the CAP theorem.", Action.ALLOW),
        ("Keep this local, do not send it to the cloud: summarise my week", Action.LOCAL_ONLY),
        ("Review this function from our proprietary pricing service", Action.LOCAL_ONLY),
        ("What are common symptoms of the flu?", Action.ALLOW),
    ],
)
def test_actions(fast: PrivacyScanner, text: str, action: Action) -> None:
    assert fast.assess(text).action is action


def test_a_raising_detector_fails_closed() -> None:
    scanner = PrivacyScanner(PrivacySettings(ner=False), detectors=[Exploding()])
    assessment = scanner.assess("nothing sensitive here")
    assert assessment.action is Action.LOCAL_ONLY
    assert assessment.failed
    assert assessment.reasons == ("detector_failed:exploding",)


def test_a_slow_ner_fails_closed() -> None:
    ticks = iter(range(0, 10_000, 10))
    slow = SpacyNer(timeout_s=1.0, clock=lambda: float(next(ticks)))
    slow._nlp = type("Nlp", (), {"pipe": lambda self, texts: ([] for _ in texts)})()
    with pytest.raises(DetectorTimeout):
        slow.detect("John")
    scanner = PrivacyScanner(PrivacySettings(), detectors=[slow])
    assessment = scanner.assess("John")
    assert assessment.action is Action.LOCAL_ONLY and assessment.failed


def test_oversized_text_fails_closed() -> None:
    scanner = PrivacyScanner(PrivacySettings(ner=False, max_chars=10))
    assert scanner.assess("x" * 11).action is Action.LOCAL_ONLY


def test_scan_row_format_and_no_values_in_repr(fast: PrivacyScanner) -> None:
    text = "SSN 460-89-9847 for jane@mailhost.net"
    assessment = fast.assess(text)
    row = json.loads(assessment.to_json())
    assert set(row) == {"entities", "sensitivity", "action", "categories"}
    assert row["action"] == "local_only"
    assert {tuple(sorted(e)) for e in row["entities"]} == {("end", "score", "start", "type")}
    assert "460-89-9847" not in repr(assessment)
    assert "jane" not in repr(assessment)


def test_prism_score_counts_entities(fast: PrivacyScanner) -> None:
    one = fast.assess("mail jane@mailhost.net")
    two = fast.assess("mail jane@mailhost.net or bob@post.acme-mail.org")
    assert two.sensitivity == pytest.approx(one.sensitivity + 0.03)


def test_settings_merge_and_validate() -> None:
    settings = PrivacySettings.model_validate({"sensitivity": {"EMAIL": 0.95}})
    assert settings.sensitivity["EMAIL"] == 0.95
    assert settings.sensitivity["US_SSN"] == 1.0
    scanner = PrivacyScanner(settings.model_copy(update={"ner": False}))
    assert scanner.assess("mail jane@mailhost.net").action is Action.LOCAL_ONLY
    with pytest.raises(ValidationError):
        PrivacySettings(mask_threshold=0.9, local_only_threshold=0.5)
    with pytest.raises(ValidationError):
        PrivacySettings.model_validate({"sensitivity": {"EMAIL": 2.0}})


def test_disabled_allows_everything() -> None:
    scanner = PrivacyScanner(PrivacySettings(enabled=False))
    assert scanner.assess("SSN 460-89-9847").action is Action.ALLOW
