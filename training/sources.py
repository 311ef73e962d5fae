"""Training data for the capability model, read from the shared data folder.

Nothing here reads the RouteLLM *evaluation* sets except their prompt text, and only to drop
training prompts that duplicate an evaluation prompt (decontamination). See training/DATA.md.
"""

from __future__ import annotations

import ast
import csv
import json
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from hybridroute.evaluation.converters import routerbench_prompt


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelledPrompt:
    """A training prompt: a soft label that the local tier is good enough, or a category."""

    prompt: str
    source: str
    local_ok: float | None = None
    category: str | None = None
    # For cross-validation only (training/selection.py): the task the prompt comes from and
    # one reference pair's scores on it (weak = local-class, strong = cloud-class).
    task: str | None = None
    weak_score: float | None = None
    strong_score: float | None = None
    # How easy the item is: the mean score of every model the source scored on the prompt,
    # and of those outside the reference pair's sides (whose scores the criterion's
    # weak/strong pair does not include).
    models_mean: float | None = None
    others_mean: float | None = None


ROUTERBENCH_CLOUD = "gpt-4-1106-preview"
ROUTERBENCH_WEAK = "mistralai/mixtral-8x7b-chat"  # the RouteLLM sets' local model
# Open models of 7B-70B play the local tier (Mixtral is one of them).
ROUTERBENCH_LOCALS = (
    "mistralai/mixtral-8x7b-chat",
    "mistralai/mistral-7b-chat",
    "meta/llama-2-70b-chat",
    "zero-one-ai/Yi-34B-Chat",
    "WizardLM/WizardLM-13B-V1.2",
)
# Every model RouterBench scored (the 11 of the shared subsets).
ROUTERBENCH_MODELS = (
    *ROUTERBENCH_LOCALS,
    ROUTERBENCH_CLOUD,
    "gpt-3.5-turbo-1106",
    "claude-instant-v1",
    "claude-v1",
    "claude-v2",
    "meta/code-llama-instruct-34b-chat",
)
DCROUTER_CLOUDS = ("llama-3.1-nemotron-51b-instruct", "llama-3.3-nemotron-super-49b-v1")
DCROUTER_LOCALS = (
    "mistral-7b-instruct-v0.3",
    "qwen2.5-7b-instruct",
    "gemma-2-9b-it",
    "llama-3.1-8b-instruct",
)
# Task names in LLMRouter's query set -> capability categories.
LLMROUTER_CATEGORIES = {
    "math": "math",
    "gsm8k": "math",
    "agentverse-mgsm": "math",
    "mbpp": "coding",
    "human_eval": "coding",
    "agentverse-logicgrid": "reasoning",
    "commonsense_qa": "reasoning",
    "natural_qa": "knowledge",
    "trivia_qa": "knowledge",
    "openbook_qa": "knowledge",
    "arc_challenge": "knowledge",
    "gpqa": "knowledge",
    "mmlu": "reading",
    "commongen": "writing",
}
VICUNA_CATEGORIES = {
    "generic": "chat",
    "knowledge": "knowledge",
    "roleplay": "roleplay",
    "common-sense": "reasoning",
    "fermi": "reasoning",
    "counterfactual": "writing",
    "coding": "coding",
    "math": "math",
    "writing": "writing",
}


def normalise(prompt: str) -> str:
    """The key used to match a training prompt against evaluation prompts."""
    return re.sub(r"\W+", " ", prompt.lower()).strip()[:60]


def _csv(path: Path) -> Iterator[dict[str, str]]:
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def _jsonl(path: Path) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def evaluation_keys(data: Path) -> frozenset[str]:
    """Normalised prompts of RouteLLM's MMLU, GSM8K and MT-Bench sets (never trained on)."""
    root = data / "router_quality" / "routellm"
    keys = {normalise(r["prompt"]) for r in _csv(root / "mmlu_responses_all_subjects.csv")}
    keys |= {normalise(r["prompt"]) for r in _csv(root / "gsm8k_responses.csv")}
    for question in _jsonl(root / "mt_bench_question.jsonl"):
        keys |= {normalise(str(turn)) for turn in question["turns"]}  # type: ignore[attr-defined]
    return frozenset(keys)


def strip_demonstrations(prompt: str) -> str:
    """The question of a few-shot prompt: its last blank-line block.

    RouterBench's ARC and Winogrande prompts carry five solved demonstrations before the
    question, the same five for every row of a task. A user's request is the bare question,
    so training on the whole prompt taught the model the demonstrations' words (and folded
    every row of a task into one cross-validation group). Winogrande's per-question
    instruction block is dropped with the demonstrations. One-block prompts are unchanged.
    """
    blocks = [block for block in prompt.split("\n\n") if block.strip()]
    return blocks[-1] if len(blocks) > 1 else prompt


def with_pair_scores(rows: Sequence[LabelledPrompt]) -> list[LabelledPrompt]:
    """The rows that carry both reference scores (the ones routing can be scored on)."""
    return [p for p in rows if p.weak_score is not None and p.strong_score is not None]


def _pairwise_ok(locals_: Sequence[float], cloud: float) -> float:
    """Share of local models that did at least as well as the cloud model."""
    return sum(score >= cloud for score in locals_) / len(locals_)


def _mean_outside(scores: dict[str, float], sides: Sequence[str]) -> float:
    others = [float(v) for m, v in scores.items() if m not in sides]
    return sum(others) / len(others)


def routerbench(data: Path, split: str) -> list[LabelledPrompt]:
    """RouterBench ARC / MBPP / Winogrande rows, labelled against gpt-4."""
    out = []
    for task in ("arc_challenge", "mbpp", "winograde"):
        for row in _csv(data / "router_quality" / "routerbench_subsets" / f"{task}_{split}.csv"):
            if not row[ROUTERBENCH_CLOUD] or not all(row[m] for m in ROUTERBENCH_LOCALS):
                continue  # a few rows lack a score
            cloud = float(row[ROUTERBENCH_CLOUD])
            locals_ = [float(row[m]) for m in ROUTERBENCH_LOCALS]
            scored = {m: float(row[m]) for m in ROUTERBENCH_MODELS if row[m]}
            out.append(
                LabelledPrompt(
                    prompt=strip_demonstrations(routerbench_prompt(row["prompt"])),
                    source=f"routerbench/{task}_{split}",
                    local_ok=_pairwise_ok(locals_, cloud),
                    task=f"routerbench/{task}",
                    weak_score=float(row[ROUTERBENCH_WEAK]),
                    strong_score=cloud,
                    models_mean=sum(scored.values()) / len(scored),
                    others_mean=_mean_outside(scored, (ROUTERBENCH_WEAK, ROUTERBENCH_CLOUD)),
                )
            )
    return out


def dcrouter(data: Path, split: str) -> list[LabelledPrompt]:
    """LLMRouter dcrouter queries, small models (7-9B) against the best ~50B model."""
    with (data / "router_quality" / "llmrouter_dcrouter" / f"{split}.json").open() as handle:
        rows = json.load(handle)
    tasks = llmrouter_tasks(data)
    out = []
    for row in rows:
        scores = (
            row["scores"] if isinstance(row["scores"], dict) else ast.literal_eval(row["scores"])
        )
        cloud = max(float(scores[m]) for m in DCROUTER_CLOUDS)
        locals_ = [float(scores[m]) for m in DCROUTER_LOCALS]
        out.append(
            LabelledPrompt(
                prompt=row["question"],
                source=f"llmrouter_dcrouter/{split}",
                local_ok=_pairwise_ok(locals_, cloud),
                task=f"dcrouter/{tasks.get(row['question'].strip(), 'unknown')}",
                weak_score=sum(locals_) / len(locals_),
                strong_score=cloud,
                models_mean=sum(float(v) for v in scores.values()) / len(scores),
                others_mean=_mean_outside(scores, (*DCROUTER_CLOUDS, *DCROUTER_LOCALS)),
            )
        )
    return out


def llmrouter_tasks(data: Path) -> dict[str, str]:
    """LLMRouter's task name of each query (dcrouter's questions come from this set)."""
    root = data / "task_type"
    return {
        str(row["query"]).strip(): str(row["task_name"])
        for name in ("llmrouter_default_query_train.jsonl", "llmrouter_default_query_test.jsonl")
        for row in _jsonl(root / name)
    }


def categories(data: Path) -> list[LabelledPrompt]:
    """Prompts labelled by task category (MT-Bench's own questions are left out)."""
    root = data / "task_type"
    out = []
    for name in ("llmrouter_default_query_train.jsonl", "llmrouter_default_query_test.jsonl"):
        for row in _jsonl(root / name):
            category = LLMROUTER_CATEGORIES.get(str(row["task_name"]))
            if category:
                out.append(LabelledPrompt(prompt=str(row["query"]), source=name, category=category))
    for row in _jsonl(root / "vicuna_bench_question.jsonl"):
        turns = ast.literal_eval(str(row["turns"]))
        category = VICUNA_CATEGORIES.get(str(row["category"]))
        if category:
            out.append(LabelledPrompt(prompt=turns[0], source="vicuna_bench", category=category))
    with (root / "vllm_sr_domain_classify_cases.json").open() as handle:
        for row in json.load(handle):
            category = "math" if row["category"] == "math" else "knowledge"
            out.append(LabelledPrompt(prompt=row["question"], source="vllm_sr", category=category))
    for row in _jsonl(root / "self_instruct_user_oriented_instructions.jsonl"):
        out.append(
            LabelledPrompt(
                prompt=str(row["instruction"]), source="self_instruct", category="writing"
            )
        )
    return out


def decontaminate(
    prompts: Sequence[LabelledPrompt], evaluation: frozenset[str]
) -> tuple[list[LabelledPrompt], int]:
    """Drop prompts whose normalised opening matches an evaluation prompt."""
    kept = [p for p in prompts if normalise(p.prompt) not in evaluation]
    return kept, len(prompts) - len(kept)
