"""`hybridroute eval` / `convert` on hostile input, through the real CLI in a subprocess.

Each refused input must give exit code 2 and one line on stderr naming the file and line, with
no traceback and never a prompt's text; the accepted oddities (a UTF-8 BOM, markup-like paths,
a negative score scale) must work. Subprocesses, because a traceback, rich markup and the
recursion limit behave as they do for a user only in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hybridroute.evaluation import converters

SECRET = "Zed Quux 536-22-1234"  # invented; stands for a prompt that must not leak
BOM = b"\xef\xbb\xbf"
MMLU_HEADER = f"prompt,{converters.ROUTELLM_LOCAL},{converters.ROUTELLM_CLOUD}\n"
RB_HEADER = f"prompt,{converters.ROUTERBENCH_LOCAL},{converters.ROUTERBENCH_CLOUD},eval_name\n"


def hybridroute(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    # A wide COLUMNS keeps rich from wrapping a long temporary path inside the table title.
    return subprocess.run(
        [sys.executable, "-c", "from hybridroute.cli import main; main()", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "300"},
        timeout=120,
        check=False,
    )


def assert_refused(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    """Exit 2, one stderr line containing ``fragment``, no traceback, no prompt text."""
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert fragment in result.stderr, result.stderr
    assert SECRET not in result.stderr and "input_value" not in result.stderr


def good_rows(count: int = 4) -> str:
    return "".join(
        json.dumps({"prompt": f"{SECRET} {'x' * i}", "local_score": i % 2, "cloud_score": 1}) + "\n"
        for i in range(count)
    )


@pytest.mark.parametrize(
    ("bad_line", "fragment"),
    [
        # json raises ValueError past Python's 4300-digit int limit, not JSONDecodeError.
        (
            f'{{"prompt": "{SECRET}", "local_score": {"9" * 5000}, "cloud_score": 1}}',
            "line 5 has an integer of over",
        ),
        # json recurses per bracket: 100,000 of them raised RecursionError.
        (
            f'{{"prompt": "{SECRET}", "x": {"[" * 100_000}{"]" * 100_000}}}',
            "line 5 is nested too deeply",
        ),
    ],
    ids=["big-int", "deep"],
)
def test_eval_refuses_numbers_and_nesting_json_cannot_read(
    tmp_path: Path, bad_line: str, fragment: str
) -> None:
    (tmp_path / "d.jsonl").write_text(good_rows() + bad_line + "\n")
    result = hybridroute("eval", "d.jsonl", "--router", "length", cwd=tmp_path)
    assert_refused(result, f"d.jsonl: {fragment}")


def test_eval_reads_a_dataset_that_starts_with_a_utf8_bom(tmp_path: Path) -> None:
    (tmp_path / "d.jsonl").write_bytes(BOM + good_rows().encode())
    result = hybridroute("eval", "d.jsonl", "--router", "length", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rows"] == 4


def test_convert_reads_a_csv_that_starts_with_a_utf8_bom(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_bytes(BOM + (MMLU_HEADER + f'"{SECRET}",True,False\n').encode())
    result = hybridroute("convert", "mmlu", "in.csv", "-o", "out.jsonl", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    row = json.loads((tmp_path / "out.jsonl").read_text())
    assert (row["prompt"], row["local_score"], row["cloud_score"]) == (SECRET, 1.0, 0.0)


def test_convert_reads_mt_bench_files_that_start_with_a_utf8_bom(tmp_path: Path) -> None:
    question = {"question_id": 1, "turns": [SECRET, "b"], "category": "writing"}
    (tmp_path / "q.jsonl").write_bytes(BOM + json.dumps(question).encode() + b"\n")
    (tmp_path / "j.jsonl").write_bytes(BOM + judgements(1, 2).encode())
    result = hybridroute("convert", "mt-bench", "q.jsonl", "j.jsonl", "-o", "o.jsonl", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def judgements(*turns: float) -> str:
    return "".join(
        json.dumps({"question_id": 1, "model": model, "turn": turn, "score": score}) + "\n"
        for model, score in ((converters.ROUTELLM_LOCAL, 3), (converters.ROUTELLM_CLOUD, 8))
        for turn in turns
    )


def write_mt_bench(tmp_path: Path, question: dict[str, object], *turns: float) -> None:
    (tmp_path / "q.jsonl").write_text(json.dumps(question) + "\n")
    (tmp_path / "j.jsonl").write_text(judgements(*turns))


def test_convert_names_the_line_of_a_short_csv_record(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text(MMLU_HEADER + f'"{SECRET}",True,False\nTrue,False\n')
    result = hybridroute("convert", "mmlu", "in.csv", "-o", "out.jsonl", cwd=tmp_path)
    assert_refused(result, "in.csv: line 3 has fewer cells than the header")
    assert not (tmp_path / "out.jsonl").exists()


def test_convert_refuses_a_score_the_dataset_row_refuses(tmp_path: Path) -> None:
    # Finite for the converter, but beyond the row model's ±1e100: checked as it is converted.
    (tmp_path / "rb.csv").write_text(
        RB_HEADER + f"\"['{SECRET}']\",0,1,x\n\"['{SECRET}']\",1e200,1,x\n"
    )
    result = hybridroute("convert", "routerbench", "rb.csv", "-o", "out.jsonl", cwd=tmp_path)
    assert_refused(result, "rb.csv: line 3 is not a routing row (local_score: a score beyond")


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        # Python's parser gives up on this with MemoryError (3.11: "Parser stack overflowed").
        ("-" * 300_000 + "1", "line 3: the prompt cell is nested too deeply to parse"),
        # Over converters.MAX_PROMPT_CELL (written out, so this test also runs on older code).
        (f"['{SECRET}" + "x" * 1_000_000 + "']", "line 3: the prompt cell is over"),
    ],
    ids=["deep", "huge"],
)
def test_convert_refuses_a_routerbench_prompt_cell_too_big_to_parse(
    tmp_path: Path, cell: str, fragment: str
) -> None:
    (tmp_path / "rb.csv").write_text(RB_HEADER + f'"[\'{SECRET}\']",0,1,x\n"{cell}",0,1,x\n')
    result = hybridroute("convert", "routerbench", "rb.csv", "-o", "out.jsonl", cwd=tmp_path)
    assert_refused(result, f"rb.csv: {fragment}")


@pytest.mark.parametrize(
    ("question", "fragment"),
    [
        (
            {"question_id": 1, "turns": [SECRET, "b"], "category": 7},
            "q.jsonl: line 1 is not a routing row (category: Input should be a valid string)",
        ),
        # A lone surrogate is a valid JSON escape but cannot be written back as UTF-8.
        (
            {"question_id": 1, "turns": [f"{SECRET} \ud800", "b"], "category": "writing"},
            "q.jsonl: line 1 is not a routing row (text that is not valid Unicode",
        ),
    ],
    ids=["int-category", "lone-surrogate"],
)
def test_convert_checks_mt_bench_rows_as_they_are_converted(
    tmp_path: Path, question: dict[str, object], fragment: str
) -> None:
    write_mt_bench(tmp_path, question, 1, 2)
    result = hybridroute("convert", "mt-bench", "q.jsonl", "j.jsonl", "-o", "o.jsonl", cwd=tmp_path)
    assert_refused(result, fragment)


@pytest.mark.parametrize(
    ("turns", "fragment"),
    [
        ((1, 9), "j.jsonl: line 2: turn 9, but the question has 2 turn(s)"),  # was all the text
        ((0, 1), "j.jsonl: line 1: turn is not a whole number from 1 up"),  # was an empty prompt
        ((1, 1.5), "j.jsonl: line 2: turn is not a whole number from 1 up"),
    ],
    ids=["turn-9", "turn-0", "turn-1.5"],
)
@pytest.mark.parametrize("each_turn", [True, False], ids=["each-turn", "per-question"])
def test_convert_refuses_mt_bench_turns_the_question_lacks(
    tmp_path: Path, turns: tuple[float, ...], fragment: str, each_turn: bool
) -> None:
    write_mt_bench(tmp_path, {"question_id": 1, "turns": [SECRET, "b"]}, *turns)
    flag = ["--each-turn"] if each_turn else []
    result = hybridroute(
        "convert", "mt-bench", "q.jsonl", "j.jsonl", "-o", "o.jsonl", *flag, cwd=tmp_path
    )
    assert_refused(result, fragment)


@pytest.mark.parametrize(
    ("source", "name", "content", "line"),
    [
        ("mmlu", "in.csv", MMLU_HEADER.encode() + b"a,True,False\nb,True,False\nc\xff,1,0\n", 4),
        ("mt-bench", "q.jsonl", b'{"question_id": 1, "turns": ["a"]}\n\n{"turns": ["\xff"]}\n', 3),
    ],
    ids=["csv", "jsonl"],
)
def test_convert_names_the_line_that_is_not_utf8(
    tmp_path: Path, source: str, name: str, content: bytes, line: int
) -> None:
    (tmp_path / name).write_bytes(content)
    (tmp_path / "j.jsonl").write_text(judgements(1))
    inputs = [name, "j.jsonl"] if source == "mt-bench" else [name]
    result = hybridroute("convert", source, *inputs, "-o", "o.jsonl", cwd=tmp_path)
    assert_refused(result, f"{name}: line {line} is not UTF-8 text")


def test_convert_prints_an_output_path_that_looks_like_rich_markup(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text(MMLU_HEADER + "a,True,False\n")
    out = Path("dir") / "a[/b]" / "c[bold].jsonl"
    result = hybridroute("convert", "mmlu", "in.csv", "-o", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == f"wrote 1 rows to {out}\n"
    assert (tmp_path / out).is_file()


def test_eval_titles_a_dataset_named_like_rich_markup(tmp_path: Path) -> None:
    (tmp_path / "[blink]x.jsonl").write_text(good_rows())
    result = hybridroute("eval", "[blink]x.jsonl", "--router", "length", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "[blink]x.jsonl: 4 prompts" in result.stdout


def test_eval_plots_a_dataset_named_like_mathtext(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    (tmp_path / "m$\\frac{$.jsonl").write_text(good_rows())
    result = hybridroute(
        "eval", "m$\\frac{$.jsonl", "--router", "length", "--plot", "c.png", cwd=tmp_path
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert (tmp_path / "c.png").stat().st_size > 0


def test_share_for_95_is_not_applicable_on_a_negative_scale(tmp_path: Path) -> None:
    # Cloud-only reaches cloud quality, but "95% of -10" is -9.5, above it: not a target.
    (tmp_path / "neg.jsonl").write_text(
        "".join(
            json.dumps(
                {"prompt": f"{SECRET}{'x' * i}", "local_score": -10 - i % 2, "cloud_score": -10}
            )
            + "\n"
            for i in range(10)
        )
    )
    report = hybridroute("eval", "neg.jsonl", "--router", "length", "--json", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    routers = json.loads(report.stdout)["routers"]
    assert [r["share_for_95_percent_quality"] for r in routers] == [None, None, None]
    table = hybridroute("eval", "neg.jsonl", "--router", "length", cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    assert "never" not in table.stdout and "n/a: cloud quality is not positive" in table.stdout
    last_cells = [row.split("│")[-2].strip() for row in table.stdout.splitlines() if "│" in row]
    assert last_cells == ["n/a"] * 3  # router, random, oracle


def test_share_for_95_on_a_positive_scale_is_unchanged(tmp_path: Path) -> None:
    (tmp_path / "d.jsonl").write_text(good_rows(10))
    report = hybridroute("eval", "d.jsonl", "--router", "length", "--json", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    random = json.loads(report.stdout)["routers"][1]
    # Local 0.5, cloud 1: the random line reaches 0.95 at 90% cloud calls.
    assert random["share_for_95_percent_quality"] == pytest.approx(0.9)


@pytest.mark.parametrize("error", [RecursionError, MemoryError])
def test_routerbench_prompt_turns_parser_exhaustion_into_a_cell_error(
    monkeypatch: pytest.MonkeyPatch, error: type[Exception]
) -> None:
    # Which of the two a deep cell raises depends on the Python version; both must be caught.
    def exhausted(cell: str) -> object:
        raise error

    monkeypatch.setattr(converters.ast, "literal_eval", exhausted)
    with pytest.raises(converters.PromptCellError, match="nested too deeply"):
        converters.routerbench_prompt("['a']")
