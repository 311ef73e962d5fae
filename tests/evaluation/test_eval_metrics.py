"""Harness metrics against hand-computed values on small synthetic tables."""

import numpy as np
import pytest

from hybridroute.evaluation.metrics import (
    CurvePoint,
    apgr,
    calls_to_recover,
    performance_gap_recovered,
    random_curve,
    share_to_reach,
    sweep,
)

# Four prompts: the cloud fixes prompts 0 and 1, the local tier is as good on 2 and 3.
LOCAL = [0.0, 0.0, 1.0, 1.0]
CLOUD = [1.0, 1.0, 1.0, 1.0]
PERFECT = [4.0, 3.0, 2.0, 1.0]  # highest cloud score where the cloud helps
INVERTED = [1.0, 2.0, 3.0, 4.0]


def test_perfect_router_curve_by_hand() -> None:
    curve = sweep(PERFECT, LOCAL, CLOUD, bins=4)
    # thresholds = quantiles 1, 1.75, 2.5, 3.25, 4 -> 100%, 75%, 50%, 25%, 0% cloud
    assert [p.cloud_share for p in curve] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert [p.quality for p in curve] == [0.5, 0.75, 1.0, 1.0, 1.0]
    # PGR = 0, .5, 1, 1, 1; trapezoid with width .25 -> (0+.5)/2*.25 + (.5+1)/2*.25 + .5 = .75
    assert apgr(curve, 0.5, 1.0) == pytest.approx(0.75)
    assert calls_to_recover(curve, 0.5, 0.5, 1.0) == pytest.approx(0.25)
    assert calls_to_recover(curve, 0.8, 0.5, 1.0) == pytest.approx(0.25 + 0.25 * 0.6)


def test_inverted_router_by_hand() -> None:
    curve = sweep(INVERTED, LOCAL, CLOUD, bins=4)
    assert [p.quality for p in curve] == [0.5, 0.5, 0.5, 0.75, 1.0]
    # PGR = 0, 0, 0, .5, 1 -> (.5/2)*.25 + (1.5/2)*.25 = .25
    assert apgr(curve, 0.5, 1.0) == pytest.approx(0.25)
    assert calls_to_recover(curve, 0.5, 0.5, 1.0) == pytest.approx(0.75)


def test_random_curve_is_a_line_with_apgr_half() -> None:
    curve = random_curve(LOCAL, CLOUD, bins=10)
    assert apgr(curve, 0.5, 1.0) == pytest.approx(0.5)
    assert calls_to_recover(curve, 0.8, 0.5, 1.0) == pytest.approx(0.8)


def test_seeded_random_scores_average_near_half() -> None:
    rng = np.random.default_rng(0)
    local = rng.integers(0, 2, 5000).astype(float)
    cloud = np.maximum(local, rng.integers(0, 2, 5000))
    value = apgr(sweep(rng.random(5000), local, cloud), local.mean(), cloud.mean())
    assert value == pytest.approx(0.5, abs=0.03)


def test_oracle_can_exceed_one_when_cloud_is_sometimes_worse() -> None:
    local = np.array([0.0, 0.0, 1.0, 1.0])
    cloud = np.array([1.0, 1.0, 0.0, 1.0])  # the cloud fails prompt 2
    curve = sweep(cloud - local, local, cloud, bins=4)
    assert apgr(curve, local.mean(), cloud.mean()) > 1.0


def test_constant_scores_send_everything_one_way() -> None:
    curve = sweep([0.3] * 4, LOCAL, CLOUD, bins=4)
    assert {p.cloud_share for p in curve} == {0.0, 1.0}


def test_share_to_reach_interpolates_and_reports_never() -> None:
    curve = (CurvePoint(cloud_share=0.0, quality=1.0), CurvePoint(cloud_share=1.0, quality=2.0))
    assert share_to_reach(curve, 1.5) == pytest.approx(0.5)
    assert share_to_reach(curve, 1.0) == 0.0
    assert share_to_reach(curve, 3.0) is None


def test_no_gap_is_an_error() -> None:
    with pytest.raises(ValueError, match="no gap"):
        performance_gap_recovered(1.0, 0.5, 0.5)


def test_mismatched_lengths_are_rejected() -> None:
    with pytest.raises(ValueError):
        sweep([1.0], LOCAL, CLOUD)
