"""Design matrices shared by training and cross-validation: dense block + hashed n-grams."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sparse
from numpy.typing import NDArray

from hybridroute.capability.features import extract
from training.sources import LabelledPrompt


def feature_matrices(
    prompts: Sequence[LabelledPrompt], buckets: int
) -> tuple[NDArray[np.float64], sparse.csr_matrix]:
    """Dense feature rows and a sparse hashed-n-gram matrix for a list of prompts."""
    features = [extract(p.prompt, buckets=buckets) for p in prompts]
    dense = np.vstack([f.dense for f in features])
    rows = np.concatenate([np.full(len(f.hashed_indices), i) for i, f in enumerate(features)])
    cols = np.concatenate([f.hashed_indices for f in features])
    values = np.concatenate([f.hashed_counts for f in features])
    hashed = sparse.csr_matrix((values, (rows, cols)), shape=(len(features), buckets))
    return dense, hashed


def design(
    dense: NDArray[np.float64],
    hashed: sparse.csr_matrix,
    mean: NDArray[np.float64],
    scale: NDArray[np.float64],
) -> sparse.csr_matrix:
    """Standardised dense columns followed by the hashed counts (the model's input layout)."""
    return sparse.hstack([sparse.csr_matrix((dense - mean) / scale), hashed]).tocsr()
