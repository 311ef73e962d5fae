"""Learning each tier's own token count against the estimate (pure units)."""

import pytest

from hybridroute.signals.token_ratio import (
    HIGHEST,
    LOWEST,
    MIN_SAMPLES,
    MIN_TOKENS,
    TokenRatios,
    script_of,
)


def test_no_factor_until_a_tier_has_taught_enough() -> None:
    ratios = TokenRatios()
    for _ in range(MIN_SAMPLES - 1):
        ratios.observe("cloud", "ascii", 1000, 800)
    assert ratios.factor("cloud", "ascii") == 1.0
    ratios.observe("cloud", "ascii", 1000, 800)
    assert ratios.factor("cloud", "ascii") == pytest.approx(0.8)
    assert ratios.scale("cloud", "ascii", 1001) == 801  # rounded up


def test_short_prompts_and_missing_usage_teach_nothing() -> None:
    ratios = TokenRatios()
    for _ in range(10):
        ratios.observe("cloud", "ascii", MIN_TOKENS - 1, 10)  # the template would dominate
        ratios.observe("cloud", "ascii", 1000, 0)  # no usage reported
        ratios.observe("cloud", "ascii", 1000, -5)
    assert ratios.factor("cloud", "ascii") == 1.0


def test_a_misreporting_upstream_moves_its_factor_within_bounds() -> None:
    ratios = TokenRatios()
    for _ in range(10):
        ratios.observe("liar-high", "ascii", 1000, 1_000_000)
        ratios.observe("liar-low", "ascii", 1000, 1)
    assert ratios.factor("liar-high", "ascii") == HIGHEST
    assert ratios.factor("liar-low", "ascii") == LOWEST
    assert ratios.factor("honest", "ascii") == 1.0


def test_a_spread_of_ratios_gives_an_upper_quantile() -> None:
    ratios = TokenRatios()
    for index in range(40):
        ratios.observe("cloud", "other", 1000, 600 if index % 2 else 1000)
    assert 1.0 < ratios.factor("cloud", "other") < HIGHEST  # mean 0.8, spread 0.2


def test_scripts_are_learned_apart() -> None:
    ratios = TokenRatios()
    for _ in range(MIN_SAMPLES):
        ratios.observe("cloud", "other", 1000, 700)
    assert ratios.factor("cloud", "other") == pytest.approx(0.7)
    assert ratios.factor("cloud", "ascii") == 1.0
    assert script_of("plain English") == "ascii"
    assert script_of("naïve") == script_of("中文") == "other"
