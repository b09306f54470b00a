"""Fuzz extraction and the record pipelines: ``python bench/fuzz.py [--cases 10000] [--seed 1]``.

Each case is a fixture page mutated at random, random bytes under a declared charset, or random
text; the outcome must be a valid record or a NoArticle/RejectItem. Anything else is a crash,
printed with the seed to replay it. Prints the counts and exits 1 on any crash.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.commands.offline import PageExtractor
from crawler.rules import NoArticle
from pipelines import RejectItem
from pipelines.validation import RecordValidator
from tests.fuzzing import CHARSETS, mutate, page_with_bytes

PAGES = sorted((Path(__file__).resolve().parent.parent / "fixtures" / "pages").glob("*/*.html"))


def case(rng: random.Random) -> tuple[bytes, str | None]:
    """One hostile input and the site rules to read it with."""
    kind = rng.random()
    if kind < 0.6:
        page = rng.choice(PAGES)
        return mutate(page.read_bytes(), rng, steps=6), page.parent.name
    if kind < 0.9:
        payload = bytes(rng.randrange(256) for _ in range(rng.randint(0, 3000)))
        return page_with_bytes(payload, rng.choice(CHARSETS)), None
    text = "".join(chr(rng.randrange(0x20, 0x9FFF)) for _ in range(rng.randint(0, 2000)))
    return text.encode("utf-8", "replace"), None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    extractor = PageExtractor("hans")
    validator = RecordValidator()
    counts = {"record": 0, "rejected": 0, "invalid": 0, "crash": 0}
    started = time.perf_counter()
    for n in range(args.cases):
        rng = random.Random(args.seed * 1_000_003 + n)
        body, site = case(rng)
        try:
            record = extractor.extract(body, "https://news.example.cn/a/20250331/1.html", site)
        except (NoArticle, RejectItem):
            counts["rejected"] += 1
            continue
        except Exception:
            counts["crash"] += 1
            print(f"crash in case {n} (seed {args.seed}):\n{traceback.format_exc()}", file=sys.stderr)
            continue
        problem = validator.problem(record)
        if problem:
            counts["invalid"] += 1
            print(f"invalid record in case {n} (seed {args.seed}): {problem}", file=sys.stderr)
        else:
            counts["record"] += 1
    seconds = time.perf_counter() - started
    print(
        f"{args.cases} cases in {seconds:.1f} s: {counts['record']} records, {counts['rejected']} rejected with a reason, "
        f"{counts['invalid']} invalid, {counts['crash']} crashes"
    )
    return 1 if counts["crash"] or counts["invalid"] else 0


if __name__ == "__main__":
    sys.exit(main())
