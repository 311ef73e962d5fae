"""Draw the cost-quality curve of an evaluation (matplotlib, imported only when plotting)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hybridroute.evaluation.harness import Evaluation


class PlotError(RuntimeError):
    """The curve cannot be drawn to the file asked for."""


class PlotUnavailable(PlotError):
    """matplotlib is not installed."""


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise PlotUnavailable("--plot needs matplotlib: pip install 'hybridroute[eval]'") from None
    return plt


def check_target(path: Path) -> None:
    """Fail before a long evaluation, not after it, if the plot cannot be written to ``path``."""
    _pyplot()
    from matplotlib.backend_bases import FigureCanvasBase

    kinds = FigureCanvasBase.get_supported_filetypes()
    suffix = path.suffix.lstrip(".").lower()
    if suffix not in kinds:
        raise PlotError(
            f"{path}: cannot draw a {suffix or 'suffix-less'!r} file; "
            f"name it .png (or {', '.join(sorted(k for k in kinds if k != 'png'))})"
        )
    if not path.parent.is_dir():
        raise PlotError(f"{path}: the directory {path.parent} does not exist")


def plot_curves(evaluation: Evaluation, path: Path) -> Path:
    """Draw quality against the share of cloud calls for the router and baselines (PNG...)."""
    check_target(path)
    plt = _pyplot()
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
    # parse_math=False: a file name is text; one with '$' in it would be read as mathtext.
    axes.set_title(f"{evaluation.dataset}: cost-quality curve", parse_math=False)
    axes.legend(loc="lower right")
    figure.tight_layout()
    try:
        figure.savefig(path, dpi=120)
    except OSError as exc:
        raise PlotError(f"{path}: cannot write ({exc.strerror or type(exc).__name__})") from None
    finally:
        plt.close(figure)
    return path
