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
import math
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from hybridroute.evaluation.dataset import (
    DatasetError,
    InvalidRow,
    RoutingExample,
    first_non_utf8_line,
    numbered_lines,
    parse_json_line,
    routing_example,
    unreadable,
)

ROUTELLM_LOCAL = "mistralai/Mixtral-8x7B-Instruct-v0.1"
ROUTELLM_CLOUD = "gpt-4-1106-preview"
ROUTERBENCH_LOCAL = "mistralai/mixtral-8x7b-chat"
ROUTERBENCH_CLOUD = "gpt-4-1106-preview"

# RouterBench's longest prompt cell is about 4,300 characters; parsing a cell as a Python
# literal takes memory in proportion to it, so a larger cell is refused rather than parsed.
MAX_PROMPT_CELL = 1_000_000


# Every converter raises DatasetError naming the file and the line (never a prompt's text) for
# input it cannot read, so `hybridroute convert` prints one line instead of a traceback.


def _csv_rows(path: Path, columns: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for every CSV record; checks the header has ``columns``."""
    # RouteLLM's GSM8K file carries whole responses in single cells.
    csv.field_size_limit(sys.maxsize)
    columns = tuple(columns)
    try:
        # utf-8-sig: a byte order mark would otherwise become part of the first column's name.
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or ())]
            if missing:
                raise DatasetError(f"{path}: no column {', '.join(map(repr, missing))}")
            for row in reader:
                # DictReader fills the cells a short record lacks with None.
                short = [c for c in columns if row[c] is None]
                if short:
                    raise DatasetError(
                        f"{path}: line {reader.line_num} has fewer cells than the header "
                        f"(no {', '.join(map(repr, short))})"
                    )
                yield reader.line_num, row
    except OSError as exc:
        raise unreadable(path, exc) from None
    except UnicodeDecodeError:
        # The text layer decodes in chunks and cannot say where; find the line again.
        line = first_non_utf8_line(path)
        where = f"line {line} is" if line is not None else "is"
        raise DatasetError(f"{path}: {where} not UTF-8 text") from None
    except csv.Error as exc:
        raise DatasetError(f"{path}: not a CSV file ({exc})") from None


def _json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line of a JSONL file."""
    try:
        lines = path.open("rb")
    except OSError as exc:
        raise unreadable(path, exc) from None
    with lines:
        for number, line in numbered_lines(lines, path):
            if not line.strip():
                continue
            value = parse_json_line(path, number, line)
            if not isinstance(value, dict):
                raise DatasetError(f"{path}: line {number} is not a JSON object")
            yield number, value


def _example(path: Path, number: int, **fields: Any) -> RoutingExample:
    """A converted row, checked as it will be written, so bad input names its own line."""
    try:
        return routing_example(fields)
    except InvalidRow as exc:
        raise DatasetError(f"{path}: line {number} is not a routing row ({exc})") from None


def _field(path: Path, number: int, row: dict[str, Any], key: str) -> Any:
    try:
        return row[key]
    except KeyError:
        raise DatasetError(f"{path}: line {number} has no {key!r}") from None


def _number(path: Path, number: int, cell: Any, what: str) -> float:
    try:
        value = float(cell)
    except (TypeError, ValueError):
        raise DatasetError(f"{path}: line {number}: {what} is not a number") from None
    if not math.isfinite(value):
        raise DatasetError(f"{path}: line {number}: {what} is not finite")
    return value


def _contaminated(path: Path | None) -> frozenset[str]:
    if path is None:
        return frozenset()
    return frozenset(
        str(_field(path, number, row, "eval_prompt")) for number, row in _json_lines(path)
    )


_TRUTH = {"true": 1.0, "1": 1.0, "1.0": 1.0, "false": 0.0, "0": 0.0, "0.0": 0.0}


def _truth(path: Path, number: int, cell: str, column: str) -> float:
    """RouteLLM writes correctness as True/False; 1/0 is read the same way, anything else fails."""
    try:
        return _TRUTH[(cell or "").strip().lower()]
    except KeyError:
        raise DatasetError(f"{path}: line {number}: {column} is not True/False") from None


def _non_empty(examples: list[RoutingExample], *paths: Path) -> tuple[RoutingExample, ...]:
    if not examples:
        names = " + ".join(str(p) for p in paths)
        raise DatasetError(f"{names}: no rows to convert (are the right files given, in order?)")
    return tuple(examples)


def convert_routellm_correctness(
    responses_csv: Path, *, contaminated: Path | None = None
) -> tuple[RoutingExample, ...]:
    """RouteLLM's MMLU or GSM8K responses (True/False per model) to examples."""
    skip = _contaminated(contaminated)
    path = responses_csv
    return _non_empty(
        [
            _example(
                path,
                number,
                prompt=row["prompt"],
                local_score=_truth(path, number, row[ROUTELLM_LOCAL], ROUTELLM_LOCAL),
                cloud_score=_truth(path, number, row[ROUTELLM_CLOUD], ROUTELLM_CLOUD),
                category=row.get("subject") or None,
            )
            for number, row in _csv_rows(path, ("prompt", ROUTELLM_LOCAL, ROUTELLM_CLOUD))
            if row["prompt"] not in skip
        ],
        path,
    )


class _Judgement(NamedTuple):
    score: float
    line: int  # in the judgements file, to name it if the turn does not fit the question


def _judge_scores(judgements_jsonl: Path) -> dict[tuple[str, str], dict[int, _Judgement]]:
    scores: dict[tuple[str, str], dict[int, _Judgement]] = defaultdict(dict)
    path = judgements_jsonl
    for number, judgement in _json_lines(path):
        key = (str(_field(path, number, judgement, "question_id")), str(judgement.get("model")))
        turn = _number(path, number, _field(path, number, judgement, "turn"), "turn")
        if not turn.is_integer() or turn < 1:
            raise DatasetError(f"{path}: line {number}: turn is not a whole number from 1 up")
        score = _number(path, number, _field(path, number, judgement, "score"), "score")
        scores[key][int(turn)] = _Judgement(score, number)
    return scores


def _check_turns(path: Path, judged: dict[int, _Judgement], turns: list[str]) -> dict[int, float]:
    """Scores by turn, once every judged turn is one the question has.

    Turn 0 would route an empty prompt and turn 9 of a 2-turn question the whole conversation,
    both silently; a judgements file that does not match its questions is refused instead.
    """
    for turn, judgement in judged.items():
        if turn > len(turns):
            raise DatasetError(
                f"{path}: line {judgement.line}: turn {turn}, but the question has "
                f"{len(turns)} turn(s)"
            )
    return {turn: judgement.score for turn, judgement in judged.items()}


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
    path = questions_jsonl
    for number, question in _json_lines(path):
        turns = _field(path, number, question, "turns")
        if not isinstance(turns, list) or not turns or not all(isinstance(t, str) for t in turns):
            raise DatasetError(f"{path}: line {number}: 'turns' is not a list of strings")
        if skip.intersection(turns):
            continue
        qid = str(_field(path, number, question, "question_id"))
        local_judged = scores.get((qid, ROUTELLM_LOCAL), {})
        cloud_judged = scores.get((qid, ROUTELLM_CLOUD), {})
        local = _check_turns(judgements_jsonl, local_judged, turns)
        cloud = _check_turns(judgements_jsonl, cloud_judged, turns)
        if not local or not cloud or local.keys() != cloud.keys():
            continue  # RouteLLM skips questions without a judgement of both models too
        category = question.get("category")
        if each_turn:
            examples.extend(
                _example(
                    path,
                    number,
                    prompt="\n".join(turns[:turn]),
                    local_score=local[turn],
                    cloud_score=cloud[turn],
                    category=category,
                )
                for turn in sorted(local)
            )
        else:
            examples.append(
                _example(
                    path,
                    number,
                    prompt=turns[0],
                    local_score=sum(local.values()) / len(local),
                    cloud_score=sum(cloud.values()) / len(cloud),
                    category=category,
                )
            )
    return _non_empty(examples, questions_jsonl, judgements_jsonl)


class PromptCellError(ValueError):
    """A RouterBench prompt cell too large or too deeply nested to parse."""


def routerbench_prompt(cell: str) -> str:
    """RouterBench stores the prompt as a Python-literal list of strings.

    Raises PromptCellError for a cell over MAX_PROMPT_CELL characters or nested too deeply for
    Python's parser; a cell that is not a literal at all is the prompt itself.
    """
    if len(cell) > MAX_PROMPT_CELL:
        raise PromptCellError(f"the prompt cell is over {MAX_PROMPT_CELL:,} characters")
    try:
        parts = ast.literal_eval(cell)
    except (ValueError, SyntaxError, TypeError):  # TypeError: a set of lists, say
        return cell
    except (MemoryError, RecursionError):
        # What the parser raises on thousands of nested unary operators ('----1').
        raise PromptCellError("the prompt cell is nested too deeply to parse") from None
    if isinstance(parts, list | tuple):
        return "\n".join(str(part) for part in parts)
    return str(parts)


def convert_routerbench(
    csv_path: Path, *, local_model: str = ROUTERBENCH_LOCAL, cloud_model: str = ROUTERBENCH_CLOUD
) -> tuple[RoutingExample, ...]:
    """A RouterBench CSV (one score column per model) to examples for one model pair."""
    examples = []
    path = csv_path
    for number, row in _csv_rows(path, ("prompt", local_model, cloud_model)):
        if not row[local_model] or not row[cloud_model]:
            continue  # a few RouterBench rows lack a score
        try:
            prompt = routerbench_prompt(row["prompt"])
        except PromptCellError as exc:
            raise DatasetError(f"{path}: line {number}: {exc}") from None
        examples.append(
            _example(
                path,
                number,
                prompt=prompt,
                local_score=_number(path, number, row[local_model], local_model),
                cloud_score=_number(path, number, row[cloud_model], cloud_model),
                category=row.get("eval_name") or None,
            )
        )
    return _non_empty(examples, path)
