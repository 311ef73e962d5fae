"""Cost of the privacy detection view (`privacy.folding.fold`) per text, by kind of text.

    .venv/bin/python benchmarks/folding_speed.py [--calls 200]

Plain ASCII is passed through after one `isascii()`; other text pays for the characters it
holds that fold (full-width digits, invisible characters, dashes, look-alike letters).
"""

from __future__ import annotations

import argparse
import time

from hybridroute.privacy.folding import fold

TEXTS = {
    "English (ASCII)": "Hello, my name is John and I live in Paris. Call 415-555-0132. " * 60,
    "Russian prose": "Привет, как дела? Меня зовут Иван, мой телефон 8 (495) 123-45-67. " * 60,
    "accented, en dashes": "Café crème, naïve résumé – don’t worry. " * 100,  # noqa: RUF001
    "Chinese, full-width digits": "你好，我的名字是李明。我的电话是１３８００１３８０００。" * 120,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    print("| text | chars | p50 ms | p99 ms |\n|---|---|---|---|")
    for name, text in TEXTS.items():
        times = []
        for _ in range(args.calls):
            started = time.perf_counter()
            fold(text)
            times.append(time.perf_counter() - started)
        times.sort()
        p50, p99 = times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]
        print(f"| {name} | {len(text)} | {p50 * 1e3:.3f} | {p99 * 1e3:.3f} |")


if __name__ == "__main__":
    main()
