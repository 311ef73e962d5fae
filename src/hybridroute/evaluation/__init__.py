"""Evaluation harness: sweep a router over recorded local/cloud answers (RouteLLM metrics)."""

from hybridroute.evaluation.dataset import (
    DatasetError,
    RoutingExample,
    load_dataset,
    write_dataset,
)
from hybridroute.evaluation.harness import Evaluation, RouterResult, evaluate
from hybridroute.evaluation.metrics import (
    CurvePoint,
    apgr,
    calls_to_recover,
    random_curve,
    share_to_reach,
    sweep,
)
from hybridroute.evaluation.routers import ROUTERS, build_router

__all__ = [
    "ROUTERS",
    "CurvePoint",
    "DatasetError",
    "Evaluation",
    "RouterResult",
    "RoutingExample",
    "apgr",
    "build_router",
    "calls_to_recover",
    "evaluate",
    "load_dataset",
    "random_curve",
    "share_to_reach",
    "sweep",
    "write_dataset",
]
