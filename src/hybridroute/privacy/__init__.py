"""Privacy signal: sensitive entities, PRISM sensitivity, the local-only/mask/allow action and
reversible masking.

    scanner = PrivacyScanner(PrivacySettings())
    assessment = scanner.assess(text)          # never raises; fails closed to local_only
    session = MaskSession()
    masked = session.mask(text, assessment.entities)
    answer = session.restore(upstream_answer)
"""

from hybridroute.privacy.assessment import Action, Assessment
from hybridroute.privacy.categories import Category, detect_categories
from hybridroute.privacy.entities import Entity, EntityType
from hybridroute.privacy.masking import MaskSession, StreamRestorer
from hybridroute.privacy.names import NameDetector
from hybridroute.privacy.ner import DetectorTimeout, SpacyNer
from hybridroute.privacy.pattern_recognizer import PatternRecognizer
from hybridroute.privacy.recognizers import StructuredDetector
from hybridroute.privacy.scanner import BatchDetector, Detector, PrivacyScanner
from hybridroute.privacy.settings import PrivacySettings

__all__ = [
    "Action",
    "Assessment",
    "BatchDetector",
    "Category",
    "Detector",
    "DetectorTimeout",
    "Entity",
    "EntityType",
    "MaskSession",
    "NameDetector",
    "PatternRecognizer",
    "PrivacyScanner",
    "PrivacySettings",
    "SpacyNer",
    "StreamRestorer",
    "StructuredDetector",
    "detect_categories",
]
