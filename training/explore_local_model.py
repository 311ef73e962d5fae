"""Does the local model's own view of a prompt carry the routing signal? (issue #4, fifth round)

Exploration only; nothing here is shipped. The issue lists "the local model's own hidden
state" among the feature families to measure; this script measures it, with SmolLM2-135M (the
embedded default tier) read through llama-cpp-python, already a dependency::

    PYTHONPATH=src:. .venv/bin/python -m training.explore_local_model --data ../shared/data

(about 40 minutes on the 2-core dev machine: one prefill of up to 256 tokens per training
prompt. Features are cached in ``benchmarks/out/local_model_features.npz`` as they are
computed, so an interrupted run resumes where it stopped; ``--latency-only`` times one
prefill per request and stops.)

Per prompt (raw text after BOS, first 256 tokens, one forward pass with every position's
logits and final hidden state):

* ``surprise``: mean negative log-likelihood of the prompt's tokens, its 90th percentile, and
  the mean entropy of the next-token distribution. Direction fixed in advance: more surprise
  means a less familiar request, so the cloud.
* ``hidden``: the final hidden state averaged over the prompt's tokens (576-d), centred over
  all rows and scaled to unit length, as the sentence embeddings of the fourth round were.

Every variant is scored by the criterion of ``training/selection.py`` on the training sources,
on the same folds as ``training/explore_embeddings.py`` (``training/same_folds.py``). The
variants and the bar were fixed before the first run: a variant earns one look at the
RouteLLM evaluation sets only if it lifts the mean criterion by at least twice the random
noise band (2 x 0.007) over the shipped design. Even then it could not join the 2 ms decision
(a prefill takes longer, see ``--latency-only``); it would be a cascade-time signal.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sparse
from numpy.typing import NDArray
from sklearn.linear_model import Ridge

from training.design import design, feature_matrices
from training.same_folds import SameFolds, z
from training.sources import LabelledPrompt
from training.train_capability import BUCKETS, RIDGE_ALPHA

MAX_TOKENS = 256
CACHE = Path("benchmarks/out/local_model_features.npz")
SURPRISE = ("mean NLL", "p90 NLL", "mean entropy")
CHECKPOINT_EVERY = 250
HIDDEN_WEIGHT = 10.0  # the variant the cross-validation picked (fifth round)


class LocalModelReader:
    """SmolLM2 with every position's logits and final hidden state exposed."""

    def __init__(self) -> None:
        import llama_cpp

        from hybridroute.tiers.llamacpp import default_model_path

        self._llama_cpp = llama_cpp
        self._llm = llama_cpp.Llama(
            model_path=str(default_model_path()),
            n_ctx=MAX_TOKENS + 16,
            n_batch=MAX_TOKENS + 16,
            n_threads=2,
            embedding=True,
            pooling_type=llama_cpp.LLAMA_POOLING_TYPE_NONE,
            logits_all=True,
            verbose=False,
        )
        self.width = self._llm.n_embd()

    def tokens(self, prompt: str) -> list[int]:
        return self._llm.tokenize(prompt.encode(), add_bos=True)[:MAX_TOKENS]

    def prefill(self, tokens: list[int]) -> None:
        self._llm.reset()
        self._llm.eval(tokens)

    def read(
        self, prompt: str, *, surprise: bool = True
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The three surprise statistics (zeros unless asked) and the mean hidden state."""
        tokens = self.tokens(prompt)
        self.prefill(tokens)
        count = len(tokens)
        pointer = self._llama_cpp.llama_get_embeddings(self._llm._ctx.ctx)
        hidden = np.ctypeslib.as_array(pointer, shape=(count, self.width)).mean(axis=0)
        if count < 2 or not surprise:  # BOS alone: nothing to be surprised by
            return np.zeros(3), hidden.astype(np.float64)
        logits = np.asarray(self._llm.scores[: count - 1], dtype=np.float64)
        top = logits.max(axis=1, keepdims=True)
        log_total = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
        nll = log_total - logits[np.arange(count - 1), tokens[1:]]
        probabilities = np.exp(logits - log_total[:, None])
        entropy = log_total - (probabilities * logits).sum(axis=1)
        statistics = np.array([nll.mean(), np.percentile(nll, 90), entropy.mean()])
        return statistics, hidden.astype(np.float64)


def _fingerprint(prompts: list[str]) -> str:
    digest = hashlib.sha256()
    for prompt in prompts:
        digest.update(prompt.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()[:16]


def local_model_features(
    reader: LocalModelReader, prompts: list[str], cache: Path, *, surprise: bool = True
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Surprise (n x 3) and mean hidden state (n x 576) of every prompt, resuming from ``cache``.

    Without ``surprise`` only the hidden state is read (the evaluation sets need no more), which
    skips the softmax over the vocabulary at every position.
    """
    fingerprint = _fingerprint(prompts)
    statistics = np.zeros((len(prompts), len(SURPRISE)))
    hidden = np.zeros((len(prompts), reader.width))
    done = 0
    if cache.exists():
        saved = np.load(cache)
        if str(saved["fingerprint"]) == fingerprint:
            done = int(saved["done"])
            statistics[:done] = saved["surprise"][:done]
            hidden[:done] = saved["hidden"][:done]
            print(f"resuming from {cache}: {done} of {len(prompts)} prompts already read")
    cache.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for index in range(done, len(prompts)):
        statistics[index], hidden[index] = reader.read(prompts[index], surprise=surprise)
        if (index + 1) % CHECKPOINT_EVERY == 0 or index + 1 == len(prompts):
            # Write then rename, so a killed run never leaves a half-written cache behind.
            partial = cache.with_suffix(".partial.npz")
            np.savez(
                partial,
                fingerprint=fingerprint,
                done=index + 1,
                surprise=statistics,
                hidden=hidden,
            )
            partial.replace(cache)
            rate = (index + 1 - done) / (time.perf_counter() - start)
            left = (len(prompts) - index - 1) / rate
            print(
                f"{cache.stem}: read {index + 1}/{len(prompts)} prompts, {rate:.1f}/s, "
                f"~{left / 60:.0f} min left",
                flush=True,
            )
    return statistics, hidden


def prefill_latency(reader: LocalModelReader) -> None:
    """Per-request time of the one prefill the features need, as a cascade stage would pay it."""
    short = "Write a python function to reverse a linked list."
    long = "A lesion causing compression of the facial nerve will cause paralysis. " * 16
    for prompt in (short, long):
        tokens = reader.tokens(prompt)
        for _ in range(3):
            reader.prefill(tokens)
        times = []
        for _ in range(30):
            began = time.perf_counter()
            reader.read(prompt)
            times.append((time.perf_counter() - began) * 1000)
        p50, p99 = np.percentile(times, [50, 99])
        print(
            f"SmolLM2 features, one {len(tokens)}-token prompt: p50 {p50:.1f} ms, p99 {p99:.1f} ms"
        )


def evaluate_once(
    reader: LocalModelReader,
    bench: SameFolds,
    hidden: NDArray[np.float64],
    data: Path,
    cache_dir: Path,
) -> None:
    """The one look at the RouteLLM sets: shipped design vs shipped + 10 x hidden, same run.

    Both are refitted on the rows the shipped artefact is fitted on (the training split), so the
    first line per set reproduces the shipped model and the second differs only by the hidden
    state. Length and random are printed from the same run for scale.
    """
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from capability_routellm import _row, datasets

    from hybridroute.evaluation.harness import evaluate
    from hybridroute.evaluation.routers import build_router

    rows = np.arange(bench.training_rows)
    mean, scale = bench.dense[rows].mean(axis=0), bench.dense[rows].std(axis=0) + 1e-6
    centre = hidden[rows].mean(axis=0)

    def unit(vectors: NDArray[np.float64]) -> NDArray[np.float64]:
        centred = vectors - centre
        return centred / np.linalg.norm(centred, axis=1, keepdims=True)

    train_hidden = unit(hidden[rows]) * HIDDEN_WEIGHT
    shipped_x = design(bench.dense[rows], bench.hashed[rows], mean, scale)
    variant_x = sparse.hstack([shipped_x, sparse.csr_matrix(train_hidden)]).tocsr()
    models = {
        "shipped design (refit)": Ridge(alpha=RIDGE_ALPHA).fit(shipped_x, bench.labels[rows]),
        f"shipped + {HIDDEN_WEIGHT:g} x hidden": Ridge(alpha=RIDGE_ALPHA).fit(
            variant_x, bench.labels[rows]
        ),
    }
    full = datasets(data, drop=False)
    clean = datasets(data, drop=True)
    for name in ("MT-Bench", "GSM8K", "MMLU"):  # smallest first: results arrive early
        prompts = sorted({e.prompt for e in full[name]})
        slug = name.lower().replace("-", "_")
        _, eval_hidden = local_model_features(
            reader, prompts, cache_dir / f"local_model_eval_{slug}.npz", surprise=False
        )
        dense, hashed = feature_matrices(
            [LabelledPrompt(prompt=p, source=name) for p in prompts], BUCKETS
        )
        x = design(dense, hashed, mean, scale)
        inputs = {
            "shipped design (refit)": x,
            f"shipped + {HIDDEN_WEIGHT:g} x hidden": sparse.hstack(
                [x, sparse.csr_matrix(unit(eval_hidden) * HIDDEN_WEIGHT)]
            ).tocsr(),
        }
        routers = {
            router: dict(zip(prompts, -model.predict(inputs[router]), strict=True)).__getitem__
            for router, model in models.items()
        } | {"length": build_router("length")}
        for label, examples in (("all rows", full[name]), ("contaminated dropped", clean[name])):
            for router, cloud_score in routers.items():
                result = evaluate(
                    examples, cloud_score, router_name=router, dataset=name, progress=False
                )
                print(_row(f"{name} ({label})", len(examples), result.router), flush=True)
            print(_row(f"{name} ({label})", len(examples), result.random), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--latency-only", action="store_true", help="only time the prefill")
    parser.add_argument(
        "--eval-once",
        action="store_true",
        help="then evaluate the best variant on the RouteLLM sets, if it clears the bar",
    )
    args = parser.parse_args()
    reader = LocalModelReader()
    prefill_latency(reader)
    if args.latency_only:
        return

    bench = SameFolds.load(args.data)
    base, bar = bench.shipped_and_bar(2)  # the fifth round's bar, kept as it was run

    surprise, hidden = local_model_features(reader, [p.prompt for p in bench.rows], args.cache)
    best = ("", 0.0)

    def report(name: str, predictions: NDArray[np.float64]) -> None:
        nonlocal best
        criterion = bench.report(name, predictions).criterion
        if criterion > best[1]:
            best = (name, criterion)

    for column, name in enumerate(SURPRISE):
        report(f"{name} alone", -surprise[:, column])
    for weight in (0.25, 0.5, 1.0):
        report(f"shipped - {weight:g} x z(mean NLL)", z(base) - weight * z(surprise[:, 0]))
    standard = (surprise - surprise.mean(axis=0)) / surprise.std(axis=0)
    report(
        "shipped + surprise columns",
        bench.out_of_fold(lambda f, h: bench.shipped(f, h, standard), RIDGE_ALPHA),
    )
    centred = hidden - hidden.mean(axis=0)
    unit = centred / np.linalg.norm(centred, axis=1, keepdims=True)
    report("hidden alone", bench.out_of_fold(lambda f, h: (unit[f], unit[h]), 1.0))
    for weight in (3.0, 10.0, 30.0):
        report(
            f"shipped + {weight:g} x hidden",
            bench.out_of_fold(lambda f, h, v=unit * weight: bench.shipped(f, h, v), RIDGE_ALPHA),
        )
    for k in (10, 50):
        report(f"hidden {k}-nearest", bench.nearest(unit, k))
    verdict = "clears" if best[1] >= bar else "does not clear"
    print(f"best variant: {best[0]} (mean {best[1]:.3f}), which {verdict} the bar of {bar:.3f}")
    if not args.eval_once:
        return
    if best[1] < bar:
        raise SystemExit("--eval-once refused: no variant clears the bar")
    if best[0] != f"shipped + {HIDDEN_WEIGHT:g} x hidden":
        raise SystemExit(
            f"--eval-once evaluates shipped + {HIDDEN_WEIGHT:g} x hidden, not {best[0]}"
        )
    print(
        "\n| set | rows | router | APGR | CPT(50%) | CPT(80%) | cloud share for 95% quality |"
        "\n|---|---|---|---|---|---|---|"
    )
    evaluate_once(reader, bench, hidden, args.data, args.cache.parent)


if __name__ == "__main__":
    main()
