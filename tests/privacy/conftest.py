"""Fixtures shared by the privacy tests: the scanner in fast mode (no NER), and the
structured detector with and without the Hyperscan prefilter (its results must not differ;
platforms without a wheel run both as plain Python)."""

import pytest

from hybridroute.privacy import PrivacyScanner, PrivacySettings
from hybridroute.privacy.recognizers import StructuredDetector


@pytest.fixture(scope="module")
def fast() -> PrivacyScanner:
    return PrivacyScanner(PrivacySettings(ner=False))


@pytest.fixture(scope="module", params=[True, False], ids=["prefilter", "no-prefilter"])
def detector(request: pytest.FixtureRequest) -> StructuredDetector:
    return StructuredDetector(prefilter=request.param)
