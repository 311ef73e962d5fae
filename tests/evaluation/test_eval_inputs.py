"""Bad datasets and bad converter inputs: one clear line naming the file and line, exit 2, no
traceback, no partial output file, and never a prompt's text in the message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from hybridroute.cli.eval import convert_command, eval_command
from hybridroute.evaluation import converters
from hybridroute.evaluation.dataset import DatasetError, load_dataset
from hybridroute.evaluation.metrics import NoGapToRecover, check_gap

SECRET = "Jane Roe 460-89-9847"
HEADER = f"prompt,{converters.ROUTELLM_LOCAL},{converters.ROUTELLM_CLOUD}\n"


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("eval")(eval_command)
    app.command("convert")(convert_command)
    return app


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(_app(), [str(a) for a in args])
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception  # a traceback would surface here
    return result.exit_code, result.stdout, result.stderr


def rows(path: Path, *items: tuple[float, float]) -> Path:
    path.write_text(
        "".join(
            json.dumps({"prompt": f"{SECRET} {'x' * i}", "local_score": a, "cloud_score": b}) + "\n"
            for i, (a, b) in enumerate(items)
        )
    )
    return path


@pytest.mark.parametrize(
    "scores",
    [
        ((0.1, 0.3), (0.2, 0.2), (0.3, 0.1)),  # equal means up to float rounding
        ((1.0, 1.0), (0.0, 0.0)),  # exactly equal
        ((1.0, 0.2), (1.0, 0.2)),  # the cloud is worse: CPT would be meaningless
    ],
)
def test_no_gap_to_recover_is_refused_not_divided_by(tmp_path: Path, scores: tuple) -> None:
    code, stdout, stderr = invoke("eval", rows(tmp_path / "d.jsonl", *scores), "--router", "length")
    assert code == 2 and stdout == ""
    assert "no gap to recover" in stderr and SECRET not in stderr


def test_a_gap_of_float_noise_counts_as_none() -> None:
    with pytest.raises(NoGapToRecover):
        check_gap(0.2, 0.2 + 1e-17)
    check_gap(0.2, 0.2001)  # a small real gap is fine


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ('{"prompt": "p", "local_score": NaN, "cloud_score": 1}', "local_score"),
        ('{"prompt": "p", "local_score": 0, "cloud_score": Infinity}', "cloud_score"),
        ('{"prompt": "p", "local_score": "high", "cloud_score": 1}', "local_score"),
        ('{"prompt": "p", "cloud_score": 1}', "local_score: Field required"),
        ('{"prompt": "p", "local_score": 0', "not JSON"),
        # Sums of such scores overflow to inf: refused, in words without pydantic's prefix.
        ('{"prompt": "p", "local_score": 1e308, "cloud_score": 1}', "local_score: a score beyond"),
    ],
)
def test_a_bad_row_names_its_line_and_field(tmp_path: Path, line: str, fragment: str) -> None:
    path = rows(tmp_path / "d.jsonl", (0.0, 1.0))
    path.write_text(path.read_text() + line.replace('"p"', json.dumps(SECRET)) + "\n")
    with pytest.raises(DatasetError, match="line 2") as caught:
        load_dataset(path)
    assert fragment in str(caught.value) and SECRET not in str(caught.value)


def test_bins_are_bounded(tmp_path: Path) -> None:
    # A million bins took 2.5 GB on a 3-row dataset.
    code, _, stderr = invoke(
        "eval", rows(tmp_path / "d.jsonl", (0.0, 1.0)), "--router", "length", "--bins", "1000000"
    )
    assert code == 2 and "--bins" in stderr


def test_bytes_that_are_not_utf8_name_their_line(tmp_path: Path) -> None:
    path = rows(tmp_path / "d.jsonl", (0.0, 1.0), (1.0, 1.0))
    path.write_bytes(path.read_bytes() + b'{"prompt": "caf\xe9"}\n')
    code, _, stderr = invoke("eval", path, "--router", "length")
    assert code == 2 and "line 3 is not UTF-8" in stderr


def test_a_directory_or_missing_file_is_one_line(tmp_path: Path) -> None:
    for target in (tmp_path, tmp_path / "absent.jsonl"):
        code, _, stderr = invoke("eval", target, "--router", "length")
        assert code == 2 and "cannot read" in stderr and "Traceback" not in stderr


@pytest.mark.parametrize(
    ("plot", "fragment"), [("nodir/curve.png", "does not exist"), ("curve.txt", "'txt'")]
)
def test_an_unwritable_plot_fails_before_the_evaluation(
    tmp_path: Path, plot: str, fragment: str
) -> None:
    dataset = rows(tmp_path / "d.jsonl", (0.0, 1.0), (1.0, 1.0))
    code, stdout, stderr = invoke("eval", dataset, "--router", "length", "--plot", tmp_path / plot)
    assert code == 2 and fragment in stderr
    assert stdout == ""  # nothing was evaluated and then thrown away


def test_a_bad_model_path_fails_before_scoring(tmp_path: Path) -> None:
    dataset = rows(tmp_path / "d.jsonl", (0.0, 1.0), (1.0, 1.0))
    code, stdout, stderr = invoke("eval", dataset, "--model-path", tmp_path / "no-model")
    assert code == 2 and "capability.model_path" in stderr and stdout == ""


def test_unknown_router_message_is_plain(tmp_path: Path) -> None:
    dataset = rows(tmp_path / "d.jsonl", (0.0, 1.0), (1.0, 1.0))
    code, _, stderr = invoke("eval", dataset, "--router", "nope")
    assert code == 2 and "error: unknown router 'nope'; known:" in stderr


@pytest.mark.parametrize(
    ("csv_text", "fragment"),
    [
        ("prompt,answer\nq,a\n", "no column"),
        (HEADER + f"{SECRET},yes,True\n", "line 2: mistralai/Mixtral-8x7B-Instruct-v0.1 is not"),
        (HEADER, "no rows to convert"),
    ],
)
def test_routellm_converter_errors(tmp_path: Path, csv_text: str, fragment: str) -> None:
    source, out = tmp_path / "in.csv", tmp_path / "out.jsonl"
    source.write_text(csv_text)
    out.write_text("earlier run\n")
    code, _, stderr = invoke("convert", "gsm8k", source, "-o", out)
    assert code == 2 and fragment in stderr and SECRET not in stderr
    assert out.read_text() == "earlier run\n"  # nothing lost, nothing half-written
    assert {p.name for p in tmp_path.iterdir()} == {"in.csv", "out.jsonl"}  # no leftovers


def test_routellm_correctness_reads_one_and_zero_like_true_and_false(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(HEADER + "a,1,0\nb,False,True\n")
    examples = converters.convert_routellm_correctness(source)
    assert [(e.local_score, e.cloud_score) for e in examples] == [(1.0, 0.0), (0.0, 1.0)]


def test_routerbench_score_that_is_not_a_number_names_its_line(tmp_path: Path) -> None:
    source = tmp_path / "rb.csv"
    source.write_text(
        f"prompt,{converters.ROUTERBENCH_LOCAL},{converters.ROUTERBENCH_CLOUD}\n"
        "q,1.0,0.0\nr,abc,1.0\n"
    )
    with pytest.raises(DatasetError, match=r"line 3: .*mixtral.* is not a number"):
        converters.convert_routerbench(source)


def test_mt_bench_files_in_the_wrong_order_are_named(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"question_id": 1, "turns": ["a"]}) + "\n")
    judgements = tmp_path / "j.jsonl"
    judgements.write_text(
        json.dumps({"question_id": 1, "model": "m", "turn": 1, "score": 5}) + "\n"
    )
    code, _, stderr = invoke("convert", "mt-bench", judgements, questions, "-o", tmp_path / "o")
    assert code == 2 and "q.jsonl: line 1 has no 'turn'" in stderr
    code, _, stderr = invoke("convert", "mt-bench", questions, judgements, "-o", tmp_path / "o")
    assert code == 2 and "no rows to convert" in stderr  # no judgement of the pair's models


def test_convert_creates_the_output_directory(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(HEADER + "a,True,False\n")
    out = tmp_path / "new" / "dir" / "o.jsonl"
    code, _, stderr = invoke("convert", "gsm8k", source, "-o", out)
    assert code == 0, stderr
    assert load_dataset(out)[0].local_score == 1.0
