"""Do simple STRUCTURAL difficulty features carry within-task routing signal? (issue #4)

Exploration only; nothing here is shipped. Run (from the repo root)::

    PYTHONPATH=src:. nice -n 19 .venv/bin/python -m training.explore_structure \
        --data ../shared/data [--eval-once]

Everything is measured on the TRAINING sources (RouterBench subsets + LLMRouter dcrouter,
train + test splits, decontaminated against the RouteLLM prompts exactly as in
``training/train_capability.py``), using the reference pairs of ``training/selection.py``
(RouterBench: Mixtral vs gpt-4; dcrouter: mean 7-9B model vs best ~50B model).

1. Single features: each feature is used directly as the cloud score (direction fixed in
   advance: more = harder = cloud) and scored by APGR inside each task.  A permutation null
   (random scores) gives the noise band per task.
2. Small combinations: ridge on a handful of globally standardised features, target = the
   reference pair's gain (strong - weak) demeaned within task, so the pooled fit learns a
   shared *within-task* direction.  Scored (a) leave-one-task-out (the model never saw the
   task it routes, as with RouteLLM's sets) and (b) grouped 5-fold over all rows (groups =
   normalised prompt, as in selection.py).  Baseline: the same procedure on length alone.

3. Robustness: the same single features and out-of-fold combination scores averaged over every
   (weak, strong) model pair in a task whose weak model is mid-range (accuracy 0.3-0.8, as
   Mixtral is on MMLU/GSM8K) with a gap >= 0.1; plus within-task Spearman of each feature with
   the all-model failure share (difficulty) and with the reference pair's gain.

``--eval-once`` evaluates the pre-declared combination on the three RouteLLM sets; it is
meant to be run only if the training-data criterion clearly beats length-only (see the
printed decision), and it refuses otherwise unless ``--force`` is given.

Since the fourth round, ``training/sources.py`` strips RouterBench's few-shot demonstrations
itself, so ``len_chars_raw`` and ``len_chars`` differ only on multi-block dcrouter prompts (logic
grids, code) and this script's numbers differ from those recorded for the third round in
docs/capability.md.
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.stats import spearmanr
from sklearn.linear_model import Ridge
from sklearn.model_selection import GroupKFold

from hybridroute.evaluation import metrics
from training import sources
from training.sources import LabelledPrompt, normalise

MIN_TASK_ROWS = 100
MIN_GAP = 0.05
ALPHA = 10.0
NULL_DRAWS = 200
SEED = 7

# Task groups the hypothesis is about (training tasks only).
MATH_WORD = ("dcrouter/gsm8k",)
KNOWLEDGE_MC = (
    "routerbench/arc_challenge",
    "dcrouter/arc_challenge",
    "dcrouter/openbook_qa",
    "dcrouter/commonsense_qa",
    "dcrouter/gpqa",
)

NUMBER = re.compile(r"(?<![\w.])[-$]?\d[\d,]*(?:\.\d+)?%?")
NUMBER_WORDS = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
    r"thirty|forty|fifty|hundred|thousand|million|half|twice|thrice|double|triple|quarter|"
    r"third|dozen|percent)\b",
    re.IGNORECASE,
)
RATE_WORDS = re.compile(r"\b(?:each|per|every|times|average|rate|remaining|rest|left)\b", re.I)
NEGATION = re.compile(r"\b(?:NOT|EXCEPT|LEAST|FALSE|INCORRECT|never|cannot)\b")
SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
OPTION = re.compile(r"^\s*\(?([A-J])[).:]\s*(.*)$")
WORD = re.compile(r"[A-Za-z']+")


def split_options(text: str) -> tuple[str, list[str]]:
    """Question stem and option texts ("A) x" or "A. x" lines); instruction lines dropped."""
    stem, options = [], []
    for line in text.splitlines():
        match = OPTION.match(line)
        if match and (options or len(match.group(2)) < 400):
            options.append(match.group(2))
        elif not options and not line.lower().startswith(("print only", "answer")):
            stem.append(line)
    return "\n".join(stem), options


def features(prompt: str) -> dict[str, float]:
    """Structural features of one prompt (all oriented so that larger = presumably harder)."""
    # RouterBench rows arrive stripped; multi-block dcrouter prompts are cut to their last
    # block here, as in the third round.
    text = sources.strip_demonstrations(prompt)
    stem, options = split_options(text)
    words = WORD.findall(stem)
    numbers = NUMBER.findall(stem)
    option_words = [len(WORD.findall(o)) for o in options]
    sentences = max(1, len(SENTENCE_END.findall(stem.strip() + " ")))
    return {
        "len_chars_raw": math.log1p(len(prompt)),  # what the length router uses
        "len_chars": math.log1p(len(text)),
        "stem_words": math.log1p(len(words)),
        "sentences": float(sentences),
        "words_per_sentence": len(words) / sentences,
        "mean_word_len": float(np.mean([len(w) for w in words])) if words else 0.0,
        "long_word_share": float(np.mean([len(w) >= 9 for w in words])) if words else 0.0,
        "numerals": float(len(numbers)),
        "distinct_numerals": float(len(set(numbers))),
        "quantities": float(len(numbers) + len(NUMBER_WORDS.findall(stem))),
        "rate_words": float(len(RATE_WORDS.findall(stem))),
        "max_number_digits": float(max((len(re.sub(r"\D", "", n)) for n in numbers), default=0)),
        "decimals_pct_money": float(sum(("." in n) or ("%" in n) or ("$" in n) for n in numbers)),
        "commas": float(stem.count(",")),
        "capitalised_words": float(sum(w[0].isupper() for w in words[1:])),
        "negation": float(bool(NEGATION.search(stem))),
        "option_words_mean": float(np.mean(option_words)) if options else 0.0,
        "option_words_max": float(max(option_words)) if options else 0.0,
        "options_with_numbers": float(sum(bool(re.search(r"\d", o)) for o in options)),
    }


NAMES = tuple(features("x").keys())
# Pre-declared combinations (chosen before looking at any result).
COMBOS = {
    "length_only": ("len_chars_raw",),
    "structure_small": (
        "len_chars_raw",
        "sentences",
        "quantities",
        "negation",
        "option_words_mean",
    ),
    "structure_all": NAMES,
}
EVAL_COMBO = "structure_small"


def _all_scores(data: Path, split: str) -> list[dict[str, float]]:
    """Every model's score per row, in the order of sources.routerbench + sources.dcrouter."""
    out = []
    for task in ("arc_challenge", "mbpp", "winograde"):
        path = data / "router_quality" / "routerbench_subsets" / f"{task}_{split}.csv"
        for row in sources._csv(path):
            if not row[sources.ROUTERBENCH_CLOUD] or not all(
                row[m] for m in sources.ROUTERBENCH_LOCALS
            ):
                continue
            models = [k for k in row if "|" not in k and ("/" in k or k.startswith(("gpt", "cl")))]
            out.append({m: float(row[m]) for m in models if row[m]})
    with (data / "router_quality" / "llmrouter_dcrouter" / f"{split}.json").open() as handle:
        for row in json.load(handle):
            scores = (
                row["scores"]
                if isinstance(row["scores"], dict)
                else ast.literal_eval(row["scores"])
            )
            out.append({k: float(v) for k, v in scores.items()})
    return out


def load(data: Path) -> tuple[list[LabelledPrompt], list[dict[str, float]]]:
    """Decontaminated train + test rows with reference-pair scores (as in selection.py),
    plus every model's scores on each row (for the multi-pair check)."""
    evaluation = sources.evaluation_keys(data)
    rows, scores = [], []
    for split in ("train", "test"):
        rows += sources.routerbench(data, split) + sources.dcrouter(data, split)
        scores += _all_scores(data, split)
    assert len(rows) == len(scores)
    keep = [normalise(p.prompt) not in evaluation for p in rows]
    print(f"{sum(keep)} rows ({len(rows) - sum(keep)} dropped as evaluation duplicates)")
    kept_rows = [p for p, k in zip(rows, keep, strict=True) if k]
    return kept_rows, [s for s, k in zip(scores, keep, strict=True) if k]


def mid_range_pairs(tasks, all_scores, names) -> dict[str, list[tuple[NDArray, NDArray]]]:
    """Per task, every (weak, strong) model pair with weak accuracy in [0.3, 0.8] (mid-range,
    as Mixtral is on MMLU/GSM8K) and a gap of at least 0.1 (rule fixed before any result)."""
    out = {}
    for task in names:
        idx = np.flatnonzero(tasks == task)
        models = sorted(set.intersection(*(set(all_scores[i]) for i in idx)))
        matrix = {m: np.array([all_scores[i][m] for i in idx]) for m in models}
        pairs = []
        for w in models:
            for st in models:
                mw, ms = matrix[w].mean(), matrix[st].mean()
                if w != st and 0.3 <= mw <= 0.8 and ms - mw >= 0.1:
                    pairs.append((matrix[w], matrix[st]))
        out[task] = pairs
    return out


def multi_pair(scores, tasks, pairs) -> dict[str, float]:
    """Within-task APGR averaged over the task's mid-range pairs (tasks without pairs skipped)."""
    out = {}
    for task, plist in pairs.items():
        if plist:
            s = scores[tasks == task]
            out[task] = float(np.mean([apgr(s, w, st) for w, st in plist]))
    return out


def apgr(scores: NDArray[np.float64], weak: NDArray[np.float64], strong: NDArray[np.float64]):
    curve = metrics.sweep(scores, weak, strong)
    return metrics.apgr(curve, float(weak.mean()), float(strong.mean()))


def scored_tasks(tasks: NDArray[np.str_], weak, strong) -> list[str]:
    out = []
    for task in sorted(set(tasks)):
        rows = tasks == task
        if rows.sum() >= MIN_TASK_ROWS and strong[rows].mean() - weak[rows].mean() >= MIN_GAP:
            out.append(task)
    return out


def per_task(scores, tasks, weak, strong, names: Sequence[str]) -> dict[str, float]:
    return {t: apgr(scores[tasks == t], weak[tasks == t], strong[tasks == t]) for t in names}


def fit_predict(x_fit, y_fit, x_out) -> NDArray[np.float64]:
    mean, scale = x_fit.mean(axis=0), x_fit.std(axis=0) + 1e-9
    model = Ridge(alpha=ALPHA).fit((x_fit - mean) / scale, y_fit)
    return model.predict((x_out - mean) / scale)


def demeaned_gain(tasks, weak, strong) -> NDArray[np.float64]:
    gain = strong - weak
    out = gain.copy()
    for task in set(tasks):
        rows = tasks == task
        out[rows] -= gain[rows].mean()
    return out


def combo_predictions(x, tasks, weak, strong, groups, names) -> tuple[NDArray, NDArray]:
    """Leave-one-task-out and grouped 5-fold out-of-fold predictions of the demeaned gain."""
    target = demeaned_gain(tasks, weak, strong)
    loto = np.zeros(len(tasks))
    for task in names:
        held = tasks == task
        loto[held] = fit_predict(x[~held], target[~held], x[held])
    oof = np.zeros(len(tasks))
    for fit, held in GroupKFold(n_splits=5).split(x, target, groups):
        oof[held] = fit_predict(x[fit], target[fit], x[held])
    return loto, oof


def evaluate_once(data: Path, combo: Sequence[str], x, tasks, weak, strong) -> None:
    """Fit on ALL training rows, route RouteLLM's MMLU / GSM8K / MT-Bench once."""
    from hybridroute.evaluation.converters import convert_mt_bench, convert_routellm_correctness

    target = demeaned_gain(tasks, weak, strong)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = Ridge(alpha=ALPHA).fit((x - mean) / scale, target)
    print("final coefficients:", dict(zip(combo, np.round(model.coef_, 4), strict=True)))
    root = data / "router_quality" / "routellm"
    sets = {
        "MMLU": convert_routellm_correctness(root / "mmlu_responses_all_subjects.csv"),
        "GSM8K": convert_routellm_correctness(root / "gsm8k_responses.csv"),
        "MT-Bench": convert_mt_bench(
            root / "mt_bench_question.jsonl", root / "mt_bench_judgements.jsonl"
        ),
    }
    print("\nONE LOOK at the RouteLLM evaluation sets (no choice is made on these numbers):")
    for name, examples in sets.items():
        feats = np.array([[features(e.prompt)[n] for n in combo] for e in examples])
        scores = model.predict((feats - mean) / scale)
        local = np.array([e.local_score for e in examples])
        cloud = np.array([e.cloud_score for e in examples])
        length = np.array([len(e.prompt) for e in examples], dtype=float)
        print(
            f"  {name:9s} rows {len(examples):5d}  APGR {EVAL_COMBO} "
            f"{apgr(scores, local, cloud):.3f}"
            f"  (length router {apgr(length, local, cloud):.3f})"
        )


def summary(values: dict[str, float]) -> str:
    def mean(keys):
        vals = [values[t] for t in keys if t in values]
        return f"{np.mean(vals):.3f}" if vals else "  n/a"

    return f"all {mean(values)} | maths-word {mean(MATH_WORD)} | knowledge-MC {mean(KNOWLEDGE_MC)}"


def table(title, columns, rows_: dict[str, dict[str, float]]) -> None:
    print(f"\n== {title} ==")
    print(
        f"{'':22s}"
        + "".join(f"{t.split('/')[0][:2]}/{t.split('/')[-1][:7]:>7s}" for t in columns)
        + "   summary"
    )
    for name, values in rows_.items():
        cells = "".join(f"{values[t]:10.3f}" if t in values else f"{'-':>10s}" for t in columns)
        print(f"{name:22s}{cells}   {summary(values)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--eval-once", action="store_true")
    parser.add_argument("--force", action="store_true", help="evaluate even if not better")
    args = parser.parse_args()

    prompts, all_scores = load(args.data)
    tasks = np.array([p.task or "" for p in prompts])
    weak = np.array([p.weak_score for p in prompts], dtype=float)
    strong = np.array([p.strong_score for p in prompts], dtype=float)
    groups = [normalise(p.prompt) for p in prompts]
    x_all = np.array([[row[n] for n in NAMES] for row in (features(p.prompt) for p in prompts)])
    names = scored_tasks(tasks, weak, strong)
    pairs = mid_range_pairs(tasks, all_scores, names)
    print(
        f"{len(names)} scored tasks; mid-range pairs per task:",
        {t.split("/", 1)[1] if t.startswith("dc") else t: len(v) for t, v in pairs.items()},
    )

    # permutation null: APGR of random scores per task (reference pair)
    rng = np.random.default_rng(SEED)
    null = defaultdict(list)
    for _ in range(NULL_DRAWS):
        for task, value in per_task(rng.random(len(prompts)), tasks, weak, strong, names).items():
            null[task].append(value)
    null_mean_sd = float(np.std([np.mean([null[t][i] for t in names]) for i in range(NULL_DRAWS)]))
    math_sd = float(np.std(null[MATH_WORD[0]]))
    mc_sd = float(np.std([np.mean([null[t][i] for t in KNOWLEDGE_MC]) for i in range(NULL_DRAWS)]))
    print(
        f"null (random scores) sd: mean over tasks {null_mean_sd:.3f}, maths-word {math_sd:.3f},"
        f" knowledge-MC mean {mc_sd:.3f}"
    )

    # diagnostics: does a feature track difficulty (share of all models failing) vs the gain?
    fail = np.array([1 - np.mean(list(s.values())) for s in all_scores])
    gain = strong - weak
    print(
        "\n== Spearman within task: feature vs all-model failure share / vs reference-pair gain =="
    )
    for task in MATH_WORD + KNOWLEDGE_MC[:1] + ("dcrouter/mmlu",):
        rows = tasks == task
        cells = []
        for j, name in enumerate(NAMES):
            if np.std(x_all[rows, j]) == 0:
                continue
            a = spearmanr(x_all[rows, j], fail[rows]).statistic
            b = spearmanr(x_all[rows, j], gain[rows]).statistic
            cells.append(f"{name}={a:+.2f}/{b:+.2f}")
        print(f"{task}: " + ", ".join(cells))

    single_ref, single_multi = {}, {}
    for j, name in enumerate(NAMES):
        single_ref[name] = per_task(x_all[:, j], tasks, weak, strong, names)
        single_multi[name] = multi_pair(x_all[:, j], tasks, pairs)
    table(
        "single features, within-task APGR, reference pair (larger feature -> cloud)",
        names,
        single_ref,
    )
    table("single features, within-task APGR, mean over mid-range model pairs", names, single_multi)

    combo_ref, combo_multi = {}, {}
    for combo, cols in COMBOS.items():
        x = x_all[:, [NAMES.index(c) for c in cols]]
        loto, oof = combo_predictions(x, tasks, weak, strong, groups, names)
        for label, pred in (("LOTO", loto), ("5fold", oof)):
            combo_ref[f"{combo}/{label}"] = per_task(pred, tasks, weak, strong, names)
            combo_multi[f"{combo}/{label}"] = multi_pair(pred, tasks, pairs)
    title = "combinations (ridge, target = within-task-demeaned reference gain)"
    table(title + ", reference pair", names, combo_ref)
    table(title + ", mean over mid-range pairs", names, combo_multi)

    def crit(combo):  # mean within-task APGR, reference pair, averaged over LOTO and 5-fold
        return float(
            np.mean([np.mean(list(combo_ref[f"{combo}/{k}"].values())) for k in ("LOTO", "5fold")])
        )

    margin = crit(EVAL_COMBO) - crit("length_only")
    clear = margin > 2 * null_mean_sd
    print(
        f"\ncriterion (mean within-task APGR, reference pair, avg of LOTO and 5-fold): "
        f"{EVAL_COMBO} {crit(EVAL_COMBO):.3f} vs length_only {crit('length_only'):.3f}; "
        f"margin {margin:+.3f}, 2 x null sd {2 * null_mean_sd:.3f} -> "
        f"{'CLEARLY BETTER' if clear else 'not clearly better'}"
    )
    if args.eval_once:
        if clear or args.force:
            cols = COMBOS[EVAL_COMBO]
            evaluate_once(
                args.data, cols, x_all[:, [NAMES.index(c) for c in cols]], tasks, weak, strong
            )
        else:
            print("--eval-once refused: the candidate does not clearly beat length-only.")


if __name__ == "__main__":
    main()
