"""Turn the shared RouteLLM and RouterBench files into evaluation datasets.

RouteLLM's sets pair Mixtral-8x7B-Instruct (the local tier) with gpt-4-1106-preview (the cloud
tier), exactly as its paper does. MT-Bench is routed on the first turn and scored on the mean
judge score of both turns, as RouteLLM's ``MTBench`` benchmark does. RouterBench CSVs hold 0/1
scores for 11 models; any two of them can play local and cloud.

Rows RouteLLM flags as contaminated are kept unless ``drop_contaminated`` is set: the reference
figures in the data README (random 0.50, oracle 1.285/1.125/1.024) are computed on full sets.
"""

from __future__ import annotations

import ast
import csv
import json
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from hybridroute.evaluation.dataset import RoutingExample

ROUTELLM_LOCAL = "mistralai/Mixtral-8x7B-Instruct-v0.1"
ROUTELLM_CLOUD = "gpt-4-1106-preview"
ROUTERBENCH_LOCAL = "mistralai/mixtral-8x7b-chat"
ROUTERBENCH_CLOUD = "gpt-4-1106-preview"


def _csv_rows(path: Path) -> Iterator[dict[str, str]]:
    # RouteLLM's GSM8K file carries whole responses in single cells.
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def _contaminated(path: Path | None) -> frozenset[str]:
    if path is None:
        return frozenset()
    with path.open(encoding="utf-8") as lines:
        return frozenset(json.loads(line)["eval_prompt"] for line in lines if line.strip())


def _truth(cell: str) -> float:
    return 1.0 if cell.strip() == "True" else 0.0


def convert_routellm_correctness(
    responses_csv: Path, *, contaminated: Path | None = None
) -> tuple[RoutingExample, ...]:
    """RouteLLM's MMLU or GSM8K responses (True/False per model) to examples."""
    skip = _contaminated(contaminated)
    return tuple(
        RoutingExample(
            prompt=row["prompt"],
            local_score=_truth(row[ROUTELLM_LOCAL]),
            cloud_score=_truth(row[ROUTELLM_CLOUD]),
            category=row.get("subject") or None,
        )
        for row in _csv_rows(responses_csv)
        if row["prompt"] not in skip
    )


def _judge_scores(judgements_jsonl: Path) -> dict[tuple[str, str], dict[int, float]]:
    scores: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    with judgements_jsonl.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                judgement = json.loads(line)
                key = (str(judgement["question_id"]), judgement["model"])
                scores[key][int(judgement["turn"])] = float(judgement["score"])
    return scores


def convert_mt_bench(
    questions_jsonl: Path,
    judgements_jsonl: Path,
    *,
    contaminated: Path | None = None,
    each_turn: bool = False,
) -> tuple[RoutingExample, ...]:
    """RouteLLM's MT-Bench judgements to examples.

    By default one example per question, routed on turn 1 and scored on the mean of both turns
    (RouteLLM's method, behind its published figures). ``each_turn`` gives one example per turn
    instead (turn 2's prompt is the conversation's user text so far); that is how the data
    README's "both turns" reference figures were computed.
    """
    skip = _contaminated(contaminated)
    scores = _judge_scores(judgements_jsonl)
    examples: list[RoutingExample] = []
    with questions_jsonl.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            question = json.loads(line)
            turns = question["turns"]
            if skip.intersection(turns):
                continue
            qid = str(question["question_id"])
            local, cloud = scores[(qid, ROUTELLM_LOCAL)], scores[(qid, ROUTELLM_CLOUD)]
            if not local or local.keys() != cloud.keys():
                continue
            category = question.get("category")
            if each_turn:
                examples.extend(
                    RoutingExample(
                        prompt="\n".join(turns[:turn]),
                        local_score=local[turn],
                        cloud_score=cloud[turn],
                        category=category,
                    )
                    for turn in sorted(local)
                )
            else:
                examples.append(
                    RoutingExample(
                        prompt=turns[0],
                        local_score=sum(local.values()) / len(local),
                        cloud_score=sum(cloud.values()) / len(cloud),
                        category=category,
                    )
                )
    return tuple(examples)


def routerbench_prompt(cell: str) -> str:
    """RouterBench stores the prompt as a Python-literal list of strings."""
    try:
        parts = ast.literal_eval(cell)
    except (ValueError, SyntaxError):
        return cell
    if isinstance(parts, list | tuple):
        return "\n".join(str(part) for part in parts)
    return str(parts)


def convert_routerbench(
    csv_path: Path, *, local_model: str = ROUTERBENCH_LOCAL, cloud_model: str = ROUTERBENCH_CLOUD
) -> tuple[RoutingExample, ...]:
    """A RouterBench CSV (one score column per model) to examples for one model pair."""
    examples = []
    for row in _csv_rows(csv_path):
        if local_model not in row or cloud_model not in row:
            raise KeyError(f"{csv_path}: no score column for {local_model!r} or {cloud_model!r}")
        if not row[local_model] or not row[cloud_model]:
            continue  # a few RouterBench rows lack a score
        examples.append(
            RoutingExample(
                prompt=routerbench_prompt(row["prompt"]),
                local_score=float(row[local_model]),
                cloud_score=float(row[cloud_model]),
                category=row.get("eval_name") or None,
            )
        )
    return tuple(examples)
