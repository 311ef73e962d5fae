"""The harness end to end on a synthetic dataset, plus datasets, converters and the CLI."""

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from hybridroute.cli.eval import convert_command, eval_command
from hybridroute.evaluation import converters
from hybridroute.evaluation.dataset import (
    DatasetError,
    RoutingExample,
    load_dataset,
    write_dataset,
)
from hybridroute.evaluation.harness import evaluate
from hybridroute.evaluation.routers import build_router

EXAMPLES = tuple(
    RoutingExample(prompt="hard " * (i + 1), local_score=float(i >= 4), cloud_score=1.0)
    for i in range(8)
)


def test_length_router_on_synthetic_set_is_perfect_inverted() -> None:
    # Longer prompts are the easy ones here, so "longer -> cloud" is the worst router.
    result = evaluate(
        EXAMPLES, build_router("length"), router_name="length", dataset="t", progress=False
    )
    assert result.local_quality == 0.5 and result.cloud_quality == 1.0
    assert result.random.apgr == pytest.approx(0.5)
    assert result.router.apgr < 0.5 < result.oracle.apgr


def test_unknown_router_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="capability"):
        build_router("nope")


def test_dataset_round_trip_and_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    assert write_dataset(EXAMPLES, path) == 8
    assert load_dataset(path) == EXAMPLES
    path.write_text('{"prompt": "x", "local_score": 1}\n')
    with pytest.raises(DatasetError, match="line 1"):
        load_dataset(path)


def test_mt_bench_converter(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"question_id": 1, "category": "math", "turns": ["a", "b"]}))
    judgements = tmp_path / "j.jsonl"
    judgements.write_text(
        "\n".join(
            json.dumps({"question_id": 1, "model": model, "turn": turn, "score": score})
            for model, turn, score in [
                (converters.ROUTELLM_LOCAL, 1, 4),
                (converters.ROUTELLM_LOCAL, 2, 6),
                (converters.ROUTELLM_CLOUD, 1, 10),
                (converters.ROUTELLM_CLOUD, 2, 8),
            ]
        )
    )
    (row,) = converters.convert_mt_bench(questions, judgements)
    assert (row.prompt, row.local_score, row.cloud_score, row.category) == ("a", 5, 9, "math")
    turns = converters.convert_mt_bench(questions, judgements, each_turn=True)
    assert [(t.prompt, t.local_score) for t in turns] == [("a", 4), ("a\nb", 6)]


def test_routerbench_converter_parses_literal_prompts(tmp_path: Path) -> None:
    path = tmp_path / "rb.csv"
    path.write_text(
        f"prompt,eval_name,{converters.ROUTERBENCH_LOCAL},{converters.ROUTERBENCH_CLOUD}\n"
        "\"['Which is hot?', 'A) ice']\",arc,0.0,1.0\n"
    )
    (row,) = converters.convert_routerbench(path)
    assert row.prompt == "Which is hot?\nA) ice" and row.cloud_score == 1.0


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("eval")(eval_command)
    app.command("convert")(convert_command)
    return app


def test_cli_eval_json_and_plot(tmp_path: Path) -> None:
    dataset = tmp_path / "d.jsonl"
    write_dataset(EXAMPLES, dataset)
    png = tmp_path / "curve.png"
    result = CliRunner().invoke(
        _app(), ["eval", str(dataset), "--router", "length", "--json", "--plot", str(png)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [r["name"] for r in report["routers"]] == ["length", "random", "oracle"]
    assert png.stat().st_size > 0


def test_cli_convert_then_eval_table(tmp_path: Path) -> None:
    source = tmp_path / "gsm.csv"
    source.write_text(
        f"prompt,{converters.ROUTELLM_LOCAL},{converters.ROUTELLM_CLOUD}\n"
        "short,True,True\nmuch longer prompt,False,True\n"
    )
    out = tmp_path / "gsm.jsonl"
    runner = CliRunner()
    assert runner.invoke(_app(), ["convert", "gsm8k", str(source), "-o", str(out)]).exit_code == 0
    result = runner.invoke(_app(), ["eval", str(out), "--router", "length"])
    assert result.exit_code == 0 and "APGR" in result.stdout


def test_a_random_router_row_and_the_random_baseline_are_told_apart(tmp_path: Path) -> None:
    # Review 16: `--router random` printed two rows both named "random".
    dataset = tmp_path / "d.jsonl"
    write_dataset(EXAMPLES, dataset)
    result = CliRunner().invoke(_app(), ["eval", str(dataset), "--router", "random"])
    assert result.exit_code == 0, result.output
    assert "random (expected)" in result.stdout
    assert "random (expected)" not in CliRunner().invoke(_app(), ["eval", str(dataset)]).stdout


def test_cli_eval_missing_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["eval", str(tmp_path / "none.jsonl")])
    assert result.exit_code == 2
