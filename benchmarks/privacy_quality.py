"""Privacy detection quality: hybridroute (fast and full mode) vs stock Presidio, same run.

Recall per entity type on presidio-research's synth_dataset_v2 and on fresh prompts generated
from its templates.txt with Faker; false local_only/mask on prompts without personal data
(MT-Bench, Arena-Hard, LLMRouter test queries; Vicuna and self-instruct held out); category
and action rates on the vLLM semantic-router privacy labels; PERSON precision.

    .venv/bin/python benchmarks/privacy_quality.py [--generated 1000] [--no-presidio] [--json out]
        [--person-weight 0.72]

A gold span counts as found when a predicted entity of a compatible type overlaps it.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import string
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hybridroute.privacy import Action, PrivacyScanner, PrivacySettings
from hybridroute.privacy.presidio import PresidioDetector

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

# Gold type -> our types that count as finding it.
COMPATIBLE: dict[str, set[str]] = {
    "PERSON": {"PERSON"},
    "CREDIT_CARD": {"CREDIT_CARD"},
    "US_SSN": {"US_SSN"},
    "IBAN_CODE": {"IBAN"},
    "EMAIL_ADDRESS": {"EMAIL"},
    "PHONE_NUMBER": {"PHONE"},
    "IP_ADDRESS": {"IP_ADDRESS"},
    "US_DRIVER_LICENSE": {"DRIVER_LICENSE"},
    "DATE_OF_BIRTH": {"DATE_OF_BIRTH"},
    "STREET_ADDRESS": {"STREET_ADDRESS", "LOCATION"},
    "GPE": {"LOCATION"},
    "ORGANIZATION": {"ORGANIZATION"},
    "NRP": {"NRP"},
}
HIGH_RISK = ("CREDIT_CARD", "US_SSN", "IBAN_CODE")


@dataclass
class Sample:
    text: str
    spans: list[tuple[str, int, int]]


@dataclass
class Tally:
    found: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    # Predicted PERSON spans, and those overlapping a gold PERSON span.
    persons: int = 0
    persons_right: int = 0
    seconds: float = 0.0


def load_synth() -> list[Sample]:
    rows = json.loads((DATA / "pii/presidio_research/synth_dataset_v2.json").read_text())
    return [
        Sample(
            r["full_text"],
            [(s["entity_type"], s["start_position"], s["end_position"]) for s in r["spans"]],
        )
        for r in rows
    ]


def generators(fake: object, rng: random.Random) -> dict[str, tuple[str, Callable[[], str]]]:
    """Template placeholder -> (gold type, value factory); several formats per type."""
    f = fake

    def card() -> str:
        number = f.credit_card_number()
        style = rng.random()
        if style < 0.33 and len(number) == 16:
            return " ".join(number[i : i + 4] for i in range(0, 16, 4))
        if style < 0.5 and len(number) == 16:
            return "-".join(number[i : i + 4] for i in range(0, 16, 4))
        return number

    def iban() -> str:
        value = f.iban()
        if rng.random() < 0.4:
            return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
        return value.lower() if rng.random() < 0.1 else value

    def ssn() -> str:
        value = f["en_US"].ssn()  # other locales' ssn() are not US numbers
        return value if rng.random() < 0.8 else value.replace("-", " ")

    def licence() -> str:
        return rng.choice(string.ascii_uppercase) + "".join(
            rng.choices(string.digits, k=rng.choice((7, 8, 12)))
        )

    def person() -> str:
        return rng.choice((f.name, f.name, f.first_name, f.last_name))()

    return {
        "credit_card_number": ("CREDIT_CARD", card),
        "iban": ("IBAN_CODE", iban),
        "ssn": ("US_SSN", ssn),
        "email": ("EMAIL_ADDRESS", f.email),
        "phone_number": ("PHONE_NUMBER", f.phone_number),
        "ip_address": ("IP_ADDRESS", lambda: f.ipv4() if rng.random() < 0.8 else f.ipv6()),
        "us_driver_license": ("US_DRIVER_LICENSE", licence),
        "date_of_birth": (
            "DATE_OF_BIRTH",
            lambda: f.date_of_birth().strftime(
                rng.choice(("%m/%d/%Y", "%Y-%m-%d", "%d.%m.%Y", "%B %d, %Y"))
            ),
        ),
        "person": ("PERSON", person),
        "name": ("PERSON", f.name),
        "name_female": ("PERSON", f.name_female),
        "name_male": ("PERSON", f.name_male),
        "first_name": ("PERSON", f.first_name),
        "first_name_male": ("PERSON", f.first_name_male),
        "first_name_female": ("PERSON", f.first_name_female),
        "first_name_nonbinary": ("PERSON", f.first_name),
        "last_name": ("PERSON", f.last_name),
        "last_name_male": ("PERSON", f.last_name),
        "last_name_female": ("PERSON", f.last_name),
        "address": ("STREET_ADDRESS", f.address),
        "city": ("GPE", f.city),
        "country": ("GPE", f.country),
        "organization": ("ORGANIZATION", f.company),
    }


def load_generated(count: int, seed: int) -> list[Sample]:
    """Fresh prompts from templates.txt, values from Faker in several locales."""
    from faker import Faker

    rng = random.Random(seed)
    fake = Faker(["en_US", "en_GB", "de_DE", "fr_FR", "nl_NL", "it_IT", "es_ES"])
    Faker.seed(seed)
    gens = generators(fake, rng)
    templates = [
        t.strip()
        for t in (DATA / "pii/presidio_research/templates.txt").read_text().splitlines()
        if t.strip()
    ]
    extra = {
        "street_name": fake.street_name,
        "building_number": fake.building_number,
        "secondary_address": lambda: f"Apt. {rng.randint(1, 999)}",
        "year": lambda: fake.year(),
        "postcode": fake.postcode,
        "zipcode": fake.postcode,
        "nationality": lambda: "French",
        "nation_woman": lambda: "Frenchwoman",
        "nation_plural": lambda: "the French",
        "job": fake.job,
        "prefix_male": lambda: "Mr.",
        "prefix_female": lambda: "Ms.",
        "prefix": lambda: "Dr.",
        "state_abbr": lambda: "CA",
        "age": lambda: str(rng.randint(18, 90)),
        "url": fake.url,
        "date_time": lambda: str(fake.date_time()),
        "day_of_week": fake.day_of_week,
    }
    samples: list[Sample] = []
    while len(samples) < count:
        template = rng.choice(templates)
        text, spans, cursor = "", [], 0
        for match in re.finditer(r"\{\{(\w+)\}\}", template):
            text += template[cursor : match.start()]
            key = match.group(1)
            if key in gens:
                gold, make = gens[key]
                value = make()
                spans.append((gold, len(text), len(text) + len(value)))
            else:
                value = str(extra.get(key, lambda: "x")())
            text += value
            cursor = match.end()
        text += template[cursor:]
        samples.append(Sample(text, spans))
    return samples


# Ways to write a structured value that read the same but break an ASCII pattern: the
# formats the privacy audit of 2026-11-23 found missed, applied to synth_dataset_v2's values.
STRUCTURED = ("CREDIT_CARD", "US_SSN", "IBAN_CODE", "EMAIL_ADDRESS", "PHONE_NUMBER", "IP_ADDRESS")
VARIANTS: dict[str, Callable[[str], str]] = {
    "full-width digits and @.-+()": lambda v: v.translate(_FULL_WIDTH),
    "a zero-width space inside": lambda v: v[:2] + "\u200b" + v[2:],
    "a soft hyphen inside": lambda v: v[:3] + "\u00ad" + v[3:],
    "no-break spaces and hyphens": lambda v: v.replace(" ", "\u00a0").replace("-", "\u2011"),
    "en dashes and thin spaces": lambda v: v.replace("-", "\u2013").replace(" ", "\u2009"),
}
_FULL_WIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789@.-+()"}
# Full names written as one word; "as written" is the same sentences unchanged, for scale.
NAME_VARIANTS: dict[str, Callable[[str], str]] = {
    "as written": lambda v: v,
    "words joined by a zero-width space": lambda v: v.replace(" ", "\u200b"),
    "words run together": lambda v: v.replace(" ", ""),
}


def load_variants(samples: Sequence[Sample]) -> dict[str, list[Sample]]:
    """synth_dataset_v2's sentences with structured values, each value rewritten; and its
    sentences with a full name (two or more words), each name rewritten."""
    chosen = [s for s in samples if any(g in STRUCTURED for g, _, _ in s.spans)]
    variants = {
        name: [_rewrite(s, change, STRUCTURED) for s in chosen] for name, change in VARIANTS.items()
    }
    named = [s for s in samples if any(g == "PERSON" and " " in s.text[a:b] for g, a, b in s.spans)]
    for name, change in NAME_VARIANTS.items():
        variants[f"name:{name}"] = [_rewrite(s, change, ("PERSON",)) for s in named]
    return variants


def _rewrite(sample: Sample, change: Callable[[str], str], types: Sequence[str]) -> Sample:
    text, spans, shift, cursor = "", [], 0, 0
    for gold, start, end in sorted(sample.spans, key=lambda g: g[1]):
        value = sample.text[start:end]
        new = change(value) if gold in types else value
        text += sample.text[cursor:start] + new
        spans.append((gold, start + shift, start + shift + len(new)))
        shift += len(new) - len(value)
        cursor = end
    return Sample(text + sample.text[cursor:], spans)


def load_no_pii() -> dict[str, list[str]]:
    task = DATA / "task_type"
    mt = [json.loads(line) for line in (task / "mt_bench_question.jsonl").open()]
    arena = [json.loads(line) for line in (task / "arena_hard_v0.1_question.jsonl").open()]
    llm = [json.loads(line) for line in (task / "llmrouter_default_query_test.jsonl").open()]
    vicuna = [json.loads(line) for line in (task / "vicuna_bench_question.jsonl").open()]
    instruct = [
        json.loads(line)
        for line in (task / "self_instruct_user_oriented_instructions.jsonl").open()
    ]
    return {
        "mt_bench": ["\n".join(q["turns"]) for q in mt],
        "arena_hard": ["\n".join(t["content"] for t in q["turns"]) for q in arena],
        "llmrouter_test": [q["query"] for q in llm],
        # Never looked at while writing or tuning the detectors: the held-out check.
        "vicuna (held out)": ["\n".join(q["turns"]) for q in vicuna],
        "self_instruct (held out)": [q["instruction"] for q in instruct],
    }


def evaluate(scanner: PrivacyScanner, samples: Sequence[Sample], batch: int = 32) -> Tally:
    tally = Tally()
    started = time.perf_counter()
    for offset in range(0, len(samples), batch):
        chunk = samples[offset : offset + batch]
        for sample, assessment in zip(
            chunk, scanner.assess_many([s.text for s in chunk]), strict=True
        ):
            tally.actions[assessment.action.value] += 1
            gold_people = [(a, b) for g, a, b in sample.spans if g == "PERSON"]
            for e in assessment.entities:
                if e.type == "PERSON":
                    tally.persons += 1
                    tally.persons_right += any(e.start < b and a < e.end for a, b in gold_people)
            for gold, start, end in sample.spans:
                ok_types = COMPATIBLE.get(gold)
                if ok_types is None:
                    continue
                tally.total[gold] += 1
                if any(
                    e.type in ok_types and e.start < end and start < e.end
                    for e in assessment.entities
                ):
                    tally.found[gold] += 1
    tally.seconds = time.perf_counter() - started
    return tally


def flagged(scanner: PrivacyScanner, texts: Sequence[str]) -> tuple[int, Counter[str]]:
    reasons: Counter[str] = Counter()
    count = 0
    for offset in range(0, len(texts), 32):
        for assessment in scanner.assess_many(texts[offset : offset + 32]):
            if assessment.action is not Action.ALLOW:
                count += 1
                reasons.update(r for r in assessment.reasons)
    return count, reasons


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-presidio", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--person-weight",
        type=float,
        action="append",
        default=[],
        help="also run fast mode with this PERSON sensitivity weight (repeatable): what masking "
        "lone names without a personal context would cost",
    )
    args = parser.parse_args(argv)

    systems: dict[str, PrivacyScanner] = {
        "hybridroute fast": PrivacyScanner(PrivacySettings(ner=False)),
        "hybridroute full": PrivacyScanner(PrivacySettings()),
    }
    for weight in args.person_weight:
        systems[f"hybridroute fast, PERSON weight {weight}"] = PrivacyScanner(
            PrivacySettings(ner=False, sensitivity={"PERSON": weight})
        )
    if not args.no_presidio:
        systems["stock Presidio"] = PrivacyScanner(
            PrivacySettings(), detectors=[PresidioDetector()], folding=False
        )
    datasets = {
        "synth_dataset_v2": load_synth(),
        "generated": load_generated(args.generated, args.seed),
    }
    variants = load_variants(datasets["synth_dataset_v2"])
    datasets.update({f"variant:{name}": rows for name, rows in variants.items()})
    no_pii = load_no_pii()
    labels = json.loads((DATA / "pii/vllm_semantic_router/privacy_labels.json").read_text())[
        "labels"
    ]

    report: dict[str, object] = {"date": time.strftime("%Y-%m-%d"), "systems": {}}
    for name, scanner in systems.items():
        scanner.assess("warm up: John Smith lives in Paris.")
        result: dict[str, object] = {}
        for dname, samples in datasets.items():
            tally = evaluate(scanner, samples)
            result[dname] = {
                "recall": {
                    k: round(tally.found[k] / tally.total[k], 4) for k in sorted(tally.total)
                },
                "n": dict(tally.total),
                "person_precision": round(tally.persons_right / max(1, tally.persons), 4),
                "actions": dict(tally.actions),
                "seconds": round(tally.seconds, 2),
            }
        for sname, texts in no_pii.items():
            count, reasons = flagged(scanner, texts)
            result[f"no_pii:{sname}"] = {
                "flagged": count,
                "n": len(texts),
                "rate": round(count / len(texts), 4),
                "top_reasons": reasons.most_common(6),
            }
        by_label: dict[str, dict[str, int]] = defaultdict(dict)
        for label, spec in labels.items():
            actions = Counter(a.action.value for a in scanner.assess_many(spec["exemplars"]))
            by_label[label] = dict(actions)
        result["privacy_labels"] = by_label
        report["systems"][name] = result  # type: ignore[index]
        print(f"== {name}", file=sys.stderr)
        print(json.dumps(result, indent=1), file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    print_table(report)
    return 0


def print_table(report: dict[str, object]) -> None:
    systems: dict[str, dict[str, dict[str, object]]] = report["systems"]  # type: ignore[assignment]
    names = list(systems)
    print(f"date: {report['date']}")
    for dname in ("synth_dataset_v2", "generated"):
        print(f"\n### recall on {dname}\n")
        print("| type | n | " + " | ".join(names) + " |")
        print("|---|---|" + "---|" * len(names))
        first = systems[names[0]][dname]
        for gold in sorted(first["n"]):  # type: ignore[arg-type]
            cells = [f"{systems[n][dname]['recall'].get(gold, 0):.3f}" for n in names]  # type: ignore[union-attr]
            print(f"| {gold} | {first['n'][gold]} | " + " | ".join(cells) + " |")  # type: ignore[index]
        cells = [f"{systems[n][dname]['person_precision']:.3f}" for n in names]
        print("| PERSON precision | | " + " | ".join(cells) + " |")
        cells = [f"{systems[n][dname]['seconds']:.1f}" for n in names]
        print("| seconds | | " + " | ".join(cells) + " |")
    print("\n### recall of structured values written with look-alike characters\n")
    print("| synth_dataset_v2 values written with | n | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for key in [k for k in systems[names[0]] if k.startswith("variant:") and ":name:" not in k]:
        cells, total = [], 0
        for name in names:
            result = systems[name][key]
            total = sum(result["n"].get(g, 0) for g in STRUCTURED)  # type: ignore[union-attr]
            hits = sum(
                result["recall"].get(g, 0) * result["n"].get(g, 0)  # type: ignore[union-attr]
                for g in STRUCTURED
            )
            cells.append(f"{hits / max(1, total):.3f}")
        print(f"| {key[8:]} | {total} | " + " | ".join(cells) + " |")
    print("\n### PERSON recall in sentences with a full name, the names written as one word\n")
    print("| synth_dataset_v2 names written | n | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for key in [k for k in systems[names[0]] if k.startswith("variant:name:")]:
        n = systems[names[0]][key]["n"].get("PERSON", 0)  # type: ignore[union-attr]
        cells = [f"{systems[s][key]['recall'].get('PERSON', 0):.3f}" for s in names]  # type: ignore[union-attr]
        print(f"| {key[13:]} | {n} | " + " | ".join(cells) + " |")
    print("\n### false local_only/mask on prompts without personal data\n")
    print("| set | n | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for key in [k for k in systems[names[0]] if k.startswith("no_pii:")]:
        n = systems[names[0]][key]["n"]
        cells = [f"{systems[s][key]['rate']:.3f} ({systems[s][key]['flagged']})" for s in names]
        print(f"| {key[7:]} | {n} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    raise SystemExit(main())
