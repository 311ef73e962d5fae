"""Cost-quality metrics for a two-tier router, as RouteLLM defines them.

A router gives every prompt a *cloud score* (higher = more in need of the cloud tier). Sweeping a
threshold over those scores traces a curve of (share of cloud calls, mean quality). From it:

* PGR(x)  = (quality(x) - local_quality) / (cloud_quality - local_quality)
* APGR    = area under the PGR curve over cloud share 0..1 (trapezoid rule, RouteLLM's
  ``apgr_metric``), so a random router scores 0.5 and the oracle can exceed 1.
* CPT(p)  = the smallest cloud share at which PGR reaches p (the curve is read piecewise linearly).

The sweep uses RouteLLM's thresholds: the quantiles of the scores at 0, 1/n, ..., 1, a prompt
going to the cloud when its score is >= the threshold (> for the last one, so it ends at 0%).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray


@dataclass(frozen=True, slots=True, kw_only=True)
class CurvePoint:
    """One operating point: the share of prompts sent to the cloud and the mean quality."""

    cloud_share: float
    quality: float


Curve = tuple[CurvePoint, ...]


def _as_float(values: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(values, dtype=np.float64)


def sweep(cloud_scores: ArrayLike, local: ArrayLike, cloud: ArrayLike, *, bins: int = 10) -> Curve:
    """Trace a router's curve with RouteLLM's quantile thresholds (``bins + 1`` points)."""
    scores, local_q, cloud_q = _as_float(cloud_scores), _as_float(local), _as_float(cloud)
    if not len(scores) == len(local_q) == len(cloud_q) or len(scores) == 0:
        raise ValueError("scores, local and cloud must be non-empty and of equal length")
    thresholds = np.quantile(scores, np.linspace(0.0, 1.0, bins + 1))
    points = []
    for index, threshold in enumerate(thresholds):
        last = index == len(thresholds) - 1
        to_cloud = scores > threshold if last else scores >= threshold
        quality = np.where(to_cloud, cloud_q, local_q).mean()
        points.append(CurvePoint(cloud_share=float(to_cloud.mean()), quality=float(quality)))
    return tuple(sorted(points, key=lambda p: (p.cloud_share, p.quality)))


def random_curve(local: ArrayLike, cloud: ArrayLike, *, bins: int = 10) -> Curve:
    """The expected curve of a router that picks the cloud at random: a straight line."""
    local_mean, cloud_mean = float(_as_float(local).mean()), float(_as_float(cloud).mean())
    return tuple(
        CurvePoint(cloud_share=float(s), quality=local_mean + float(s) * (cloud_mean - local_mean))
        for s in np.linspace(0.0, 1.0, bins + 1)
    )


class NoGapToRecover(ValueError):
    """The cloud tier is not better than the local one on a dataset: PGR is undefined."""


def check_gap(local_quality: float, cloud_quality: float) -> None:
    """Raise NoGapToRecover unless cloud quality is above local quality.

    The gap must be positive beyond float noise: with a gap of 1e-17 every PGR would be a ratio of
    rounding errors, and with a negative gap "reaching p% of the gap" has no meaning for CPT.
    """
    gap = cloud_quality - local_quality
    scale = max(abs(local_quality), abs(cloud_quality))
    if not gap > 1e-9 * scale:
        raise NoGapToRecover(
            f"cloud-only quality ({cloud_quality:.6g}) is not above local-only quality "
            f"({local_quality:.6g}): there is no gap to recover, so APGR and CPT are undefined"
        )


def performance_gap_recovered(quality: float, local_quality: float, cloud_quality: float) -> float:
    """PGR of one operating point; raises NoGapToRecover when the cloud is not better."""
    check_gap(local_quality, cloud_quality)
    return (quality - local_quality) / (cloud_quality - local_quality)


def apgr(curve: Sequence[CurvePoint], local_quality: float, cloud_quality: float) -> float:
    """Average performance gap recovered: trapezoid area under PGR over the cloud share."""
    shares = np.array([p.cloud_share for p in curve])
    pgr = np.array(
        [performance_gap_recovered(p.quality, local_quality, cloud_quality) for p in curve]
    )
    order = np.argsort(shares, kind="stable")
    return float(np.trapezoid(pgr[order], shares[order]))


def share_to_reach(curve: Sequence[CurvePoint], target_quality: float) -> float | None:
    """The smallest cloud share at which the (piecewise-linear) curve reaches a quality.

    None when the curve never gets there.
    """
    ordered = sorted(curve, key=lambda p: (p.cloud_share, p.quality))
    previous: CurvePoint | None = None
    for point in ordered:
        if point.quality >= target_quality:
            if previous is None or point.quality == previous.quality:
                return point.cloud_share
            fraction = (target_quality - previous.quality) / (point.quality - previous.quality)
            return previous.cloud_share + fraction * (point.cloud_share - previous.cloud_share)
        previous = point
    return None


def calls_to_recover(
    curve: Sequence[CurvePoint], fraction: float, local_quality: float, cloud_quality: float
) -> float | None:
    """CPT(fraction): the cloud share needed to recover ``fraction`` of the quality gap."""
    return share_to_reach(curve, local_quality + fraction * (cloud_quality - local_quality))
