"""Cross-validate the data README's TF-IDF + logistic regression router (issue #4, sixth round).

Exploration only; nothing here is shipped. ``training/reference_peer.py`` reproduces the
README's reference router as a peer; this script asks whether it, or the same design on the
shipped target, should replace the shipped capability model, by the criterion of
``training/selection.py`` on the same folds as the other rounds (``training/same_folds.py``)::

    PYTHONPATH=src:. .venv/bin/python -m training.explore_reference_baseline --data ../shared/data

(about 15 seconds on the 2-core dev machine; needs the ``train`` extra.) Fixed before the first
run: two labels, ``gap`` (the peer's own) and ``not local_ok`` (the shipped target below one
half); a variant would replace the shipped model only if its mean criterion beats the shipped
design's by three times the random noise band (the fifth round showed that two was not
enough). The peer's figures on the RouteLLM sets come from ``benchmarks/capability_routellm.py``
whatever this script says, because a peer is reported, not chosen.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from training.reference_peer import fit, gap_labels
from training.same_folds import SameFolds

LABELS: dict[str, Callable[[SameFolds], NDArray[np.int64]]] = {
    "gap": lambda bench: gap_labels(bench.rows),
    "not local_ok": lambda bench: (bench.labels < 0.5).astype(np.int64),
}


def out_of_fold(bench: SameFolds, labels: NDArray[np.int64]) -> NDArray[np.float64]:
    """P(label) for every row, each from the fold that held it out."""
    prompts = np.array([p.prompt for p in bench.rows], dtype=object)
    predictions = np.zeros(len(labels))
    for fit_rows, held in bench.folds:
        predict = fit(list(prompts[fit_rows]), labels[fit_rows])
        predictions[held] = predict(list(prompts[held]))
    return predictions


def main() -> None:
    bench = SameFolds.from_command_line(__doc__)
    _, bar = bench.shipped_and_bar(3)
    for name, labeller in LABELS.items():
        labels = labeller(bench)
        print(f"label {name!r}: {labels.mean():.1%} of rows positive")
        # The bench scores local_ok predictions; P(label) is a cloud score, so flip it.
        cv = bench.report(f"TF-IDF + LR ({name})", 1 - out_of_fold(bench, labels))
        verdict = "clears" if cv.criterion >= bar else "does not clear"
        print(f"  {verdict} the bar of {bar:.3f}")


if __name__ == "__main__":
    main()
