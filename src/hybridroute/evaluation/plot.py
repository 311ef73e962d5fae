"""Draw the cost-quality curve of an evaluation (matplotlib, imported only when plotting)."""

from __future__ import annotations

from pathlib import Path

from hybridroute.evaluation.harness import Evaluation


class PlotUnavailable(RuntimeError):
    """matplotlib is not installed."""


def plot_curves(evaluation: Evaluation, path: Path) -> Path:
    """Write a PNG of quality against the share of cloud calls for the router and baselines."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise PlotUnavailable("--plot needs matplotlib: pip install 'hybridroute[eval]'") from None
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for result, style in (
        (evaluation.router, "o-"),
        (evaluation.random, "--"),
        (evaluation.oracle, "x:"),
    ):
        axes.plot(
            [100 * p.cloud_share for p in result.curve],
            [p.quality for p in result.curve],
            style,
            label=f"{result.name} (APGR {result.apgr:.3f})",
        )
    axes.axhline(evaluation.local_quality, color="grey", linewidth=0.8, label="local only")
    axes.axhline(evaluation.cloud_quality, color="black", linewidth=0.8, label="cloud only")
    axes.set_xlabel("cloud calls (%)")
    axes.set_ylabel("mean quality")
    axes.set_title(f"{evaluation.dataset}: cost-quality curve")
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
