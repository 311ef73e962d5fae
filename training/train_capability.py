"""Train the capability model shipped in ``src/hybridroute/capability/model/``.

Reproduce the shipped artefact (needs the ``train`` extra: scikit-learn)::

    python -m training.train_capability --data ../shared/data \\
        --out src/hybridroute/capability/model --cv

Two linear models over the features in ``hybridroute.capability.features``:

* local_ok: ridge regression on a soft label, the share of open 7B-70B models that scored at
  least as well as the strong model on that prompt (RouterBench vs gpt-4; dcrouter vs the
  best ~50B model). Ridge alpha was picked by Spearman correlation on the sources' own test
  splits (alphas 1-1000), never on the RouteLLM sets; ``--cv`` adds the grouped 5-fold
  routing criterion of ``training/selection.py`` to the model card.
* category: multinomial logistic regression on the task-type sets.

RouteLLM's MMLU, GSM8K and MT-Bench prompts are never trained on: any training prompt whose
normalised opening matches one of them is dropped first (see training/DATA.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression, Ridge

from hybridroute.capability.features import DENSE_NAMES
from hybridroute.capability.model import MODEL_CARD_FILE, MODEL_FILE
from training import selection, sources
from training.design import design, feature_matrices
from training.sources import LabelledPrompt

BUCKETS = 2**15
RIDGE_ALPHA = 100.0
CATEGORY_C = 1.0
SEED = 20240601


def file_digest(path: Path) -> str:
    """First 16 hex digits of a file's SHA-256 (recorded in the model card)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def load(data: Path, sample: int | None) -> dict[str, list[LabelledPrompt]]:
    """Training, validation and category sets, decontaminated (and sampled for tests)."""
    evaluation = sources.evaluation_keys(data)
    sets = {
        "train": sources.routerbench(data, "train") + sources.dcrouter(data, "train"),
        "validation": sources.routerbench(data, "test") + sources.dcrouter(data, "test"),
        "category": sources.categories(data),
    }
    rng = random.Random(SEED)
    out = {}
    for name, prompts in sets.items():
        kept, dropped = sources.decontaminate(prompts, evaluation)
        print(f"{name}: {len(kept)} prompts ({dropped} dropped as evaluation duplicates)")
        out[name] = rng.sample(kept, min(sample, len(kept))) if sample else kept
    return out


def train(
    data: Path,
    out: Path,
    *,
    sample: int | None = None,
    buckets: int = BUCKETS,
    alpha: float = RIDGE_ALPHA,
    cross_validate: bool = False,
) -> dict:
    """Fit both models, write the artefact and its model card; returns the card."""
    sets = load(data, sample)
    dense, hashed = feature_matrices(sets["train"], buckets)
    mean, scale = dense.mean(axis=0), dense.std(axis=0) + 1e-6
    labels = np.array([p.local_ok for p in sets["train"]])
    local = Ridge(alpha=alpha).fit(design(dense, hashed, mean, scale), labels)

    val_dense, val_hashed = feature_matrices(sets["validation"], buckets)
    val_pred = local.predict(design(val_dense, val_hashed, mean, scale))
    val_labels = np.array([p.local_ok for p in sets["validation"]])
    rho = float(spearmanr(val_pred, val_labels).statistic)

    cat_dense, cat_hashed = feature_matrices(sets["category"], buckets)
    names = sorted({str(p.category) for p in sets["category"]})
    targets = np.array([names.index(str(p.category)) for p in sets["category"]])
    category = LogisticRegression(C=CATEGORY_C, max_iter=3000)
    category.fit(design(cat_dense, cat_hashed, mean, scale), targets)
    if len(names) == 2:  # binary sklearn models keep one row; keep the file format uniform
        category.coef_ = np.vstack([-category.coef_, category.coef_]) / 2
        category.intercept_ = np.array([-category.intercept_[0], category.intercept_[0]]) / 2

    cv = None
    if cross_validate:  # 5-fold over train + validation rows: the selection criterion
        result = selection.cross_validate(
            sets["train"] + sets["validation"], buckets=buckets, alpha=alpha
        )
        cv = {
            "pooled_apgr": round(result.pooled_apgr, 4),
            "within_task_apgr": None
            if result.within_task_apgr is None
            else round(result.within_task_apgr, 4),
            "tasks": result.tasks,
        }
        print(f"cross-validation: {cv}")

    dims = len(DENSE_NAMES)
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out / MODEL_FILE,
        buckets=np.int64(buckets),
        dense_mean=mean,
        dense_scale=scale,
        local_dense=local.coef_[:dims],
        local_hashed=local.coef_[dims:].astype(np.float32),
        local_bias=np.float64(local.intercept_),
        category_names=np.array(names),
        category_dense=category.coef_[:, :dims],
        category_hashed=category.coef_[:, dims:].astype(np.float16),
        category_bias=category.intercept_,
    )
    card = {
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "script": "training/train_capability.py",
        "sample": sample,
        "buckets": buckets,
        "ridge_alpha": alpha,
        "category_c": CATEGORY_C,
        "dense_features": list(DENSE_NAMES),
        "categories": names,
        "train_prompts": len(sets["train"]),
        "category_prompts": len(sets["category"]),
        "validation_spearman_local_ok": round(rho, 4),
        "cross_validation": cv,
        "sources": sorted({p.source for prompts in sets.values() for p in prompts}),
        "evaluation_sets_used_for_training": False,
        "licences": "see training/DATA.md (MIT: RouterBench, LLMRouter; Apache-2.0: FastChat, "
        "self-instruct, vllm semantic-router)",
        "artefact_sha256_16": file_digest(out / MODEL_FILE),
    }
    (out / MODEL_CARD_FILE).write_text(json.dumps(card, indent=2) + "\n")
    print(f"validation Spearman(local_ok) = {rho:.3f}; wrote {out / MODEL_FILE}")
    return card


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("src/hybridroute/capability/model"))
    parser.add_argument("--sample", type=int, default=None, help="use N prompts per set (tests)")
    parser.add_argument("--buckets", type=int, default=BUCKETS)
    parser.add_argument("--alpha", type=float, default=RIDGE_ALPHA, help="ridge alpha")
    parser.add_argument(
        "--cv", action="store_true", help="also report grouped 5-fold CV (training/selection.py)"
    )
    args = parser.parse_args()
    train(
        args.data,
        args.out,
        sample=args.sample,
        buckets=args.buckets,
        alpha=args.alpha,
        cross_validate=args.cv,
    )


if __name__ == "__main__":
    main()
