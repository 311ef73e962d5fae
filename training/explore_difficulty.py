"""Does learning how hard an item is, from every model's scores, help routing? (#4, 7th round)

Exploration only; nothing here is shipped unless it clears the bar below. The shipped label,
local_ok, asks of each training prompt whether open models matched the strong one: a noisy,
pair-specific label, and every variant trained on it ranks prompts inside a task at chance.
The sources score each prompt by more models than that (RouterBench 11, dcrouter 9), and the
mean over all of them measures the item's difficulty with less noise. A diagnostic on the
training sources only (the first reference line below) showed that difficulty, as the models
*outside* the reference pair see it, does rank prompts inside a task: routing by it reaches a
within-task APGR well above chance. Whether the prompt's text predicts it is the question::

    PYTHONPATH=src:. .venv/bin/python -m training.explore_difficulty --data ../shared/data

(about 5 s on the idle 2-core dev machine.) Fixed before the first run of the variants:

* ease: ridge (the shipped alpha and columns) on ``models_mean``, the mean score of every
  model the source scored; a prompt predicted easy goes to the local tier;
* variants: ease alone; 0.5 x z(shipped) + 0.5 x z(ease); and 0.5 x z(shipped) + 0.5 x
  z(within-task ease), where the target is ``models_mean`` less its task's mean over the
  fitting rows, so that the second model learns only what varies inside a task;
* the bar: the mean criterion must beat the shipped design's by three times the random noise
  band. Only then would a variant get one look at the RouteLLM evaluation sets.

The reference lines route by the true scores of the held-out rows; they are ceilings, not
routers (the "all" line even includes the pair's own scores). The Rasch line was added after
the first run's per-task table, which showed predicted ease routing the wrong way on tasks too
hard for the weak side (GPQA, MATH, HumanEval): it asks whether bending the score as item
response theory does would help if ease were known. It scores the same as plain ease (mean
0.563), but says little: with the fitted abilities the bend keeps the order of ease inside
every task but RouterBench MBPP (the "bend order" column). No predicted version was fitted.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar
from scipy.special import expit, logit
from scipy.stats import spearmanr
from sklearn.linear_model import Ridge

from training.same_folds import SameFolds, z
from training.selection import criterion_tasks, routing_apgr, tie_break
from training.train_capability import RIDGE_ALPHA


def within_task_target(
    bench: SameFolds, ease: NDArray[np.float64], tasks: NDArray[np.str_]
) -> NDArray[np.float64]:
    """Out-of-fold predictions of ease less its task's mean, the mean taken on fitting rows."""
    predictions = np.zeros(len(ease))
    for fit, held in bench.folds:
        level = {t: ease[fit][tasks[fit] == t].mean() for t in set(tasks[fit])}
        target = ease[fit] - np.array([level[t] for t in tasks[fit]])
        fit_x, held_x = bench.shipped(fit, held)
        predictions[held] = Ridge(alpha=RIDGE_ALPHA).fit(fit_x, target).predict(held_x)
    return predictions


def irt_gain(bench: SameFolds, ease: NDArray[np.float64]) -> NDArray[np.float64]:
    """Expected gain of the cloud side under a Rasch model: sigma(theta_s - b) - sigma(theta_w - b)
    with difficulty b = -logit(ease) and each source's pair abilities fitted by least squares.

    It asks whether routing by difficulty should bend (an item too hard for both sides gains
    nothing), which plain ease cannot express. Ease is clipped to 0.05-0.95 so that b stays
    finite, and the abilities are fitted on all rows, held-out ones included: a ceiling only."""
    difficulty = -logit(np.clip(ease, 0.05, 0.95))
    sources = np.array([(p.task or "").split("/")[0] for p in bench.rows])
    gain = np.zeros(len(ease))
    for source in set(sources):
        rows = sources == source
        d = difficulty[rows]
        abilities = []
        for side in ("weak_score", "strong_score"):
            scores = np.array([getattr(p, side) for p in bench.rows], dtype=np.float64)[rows]
            fit = minimize_scalar(
                lambda t, y=scores, d=d: float(((expit(t - d) - y) ** 2).mean()),
                bounds=(-10, 10),
                method="bounded",
            )
            abilities.append(float(fit.x))
        gain[rows] = expit(abilities[1] - d) - expit(abilities[0] - d)
    return gain


def by_task(
    bench: SameFolds,
    others: NDArray[np.float64],
    predicted: NDArray[np.float64],
    gain: NDArray[np.float64],
) -> None:
    """Per criterion task: the ceiling's APGR, whether the Rasch bend reorders it, how well the
    text predicts ease, and the predicted ease's APGR, so one sees where difficulty is both
    useful and predictable."""
    ease = np.array([p.models_mean for p in bench.rows], dtype=np.float64)
    weak = np.array([p.weak_score for p in bench.rows], dtype=np.float64)
    strong = np.array([p.strong_score for p in bench.rows], dtype=np.float64)
    tasks = np.array([p.task or "" for p in bench.rows])
    print(
        f"{'task':32s} rows  weak strong others  ceiling APGR  bend order"
        "  Spearman(predicted, ease)  APGR"
    )
    for task, rows in criterion_tasks(tasks, weak, strong):
        w, s = weak[rows], strong[rows]
        ceiling = routing_apgr(-others[rows], w, s)
        bend = spearmanr(-gain[rows], others[rows]).statistic
        rho = spearmanr(predicted[rows], ease[rows]).statistic
        routed = routing_apgr(-predicted[rows], w, s)
        print(
            f"{task:32s} {rows.sum():4d}  {w.mean():.2f}  {s.mean():.2f}"
            f"  {others[rows].mean():6.2f}  {ceiling:12.3f}  {bend:+10.2f}  {rho:+25.2f}"
            f"  {routed:.3f}"
        )


def main() -> None:
    bench = SameFolds.from_command_line(__doc__)
    base, bar = bench.shipped_and_bar(3)

    ease = np.array([p.models_mean for p in bench.rows], dtype=np.float64)
    others = np.array([p.others_mean for p in bench.rows], dtype=np.float64)
    tasks = np.array([p.task or "" for p in bench.rows])
    bench.report("ceiling: true ease outside the pair", others)
    bench.report("ceiling: true ease, all (pair included)", ease)
    gain = irt_gain(bench, others)
    bench.report("ceiling: Rasch gain, ease outside", tie_break(len(ease)) - gain)

    predicted = bench.out_of_fold(bench.shipped, RIDGE_ALPHA, ease)
    print(f"predicted vs true ease, all rows: Spearman {spearmanr(predicted, ease).statistic:+.2f}")
    variants = {
        "ease alone": predicted,
        "0.5 z(shipped) + 0.5 z(ease)": 0.5 * z(base) + 0.5 * z(predicted),
        "0.5 z(shipped) + 0.5 z(within-task ease)": 0.5 * z(base)
        + 0.5 * z(within_task_target(bench, ease, tasks)),
    }
    best = max(bench.report(name, scores).criterion for name, scores in variants.items())
    by_task(bench, others, predicted, gain)
    verdict = "clears" if best >= bar else "does not clear"
    print(f"best mean {best:.3f}, which {verdict} the bar of {bar:.3f}")


if __name__ == "__main__":
    main()
