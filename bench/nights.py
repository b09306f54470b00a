"""A synthetic dataset of many nights, as the manifests and rejects of real runs lay it out.

    python bench/nights.py DIR [--nights 100] [--records 1000000] [--sites 1] [--workers 1]

Used by bench/report.py (the report on 100 nights, 1 million records) and tests/test_report*.py.
Manifests follow pipelines/dataset.py's; the data files they list are not written unless
``data_files`` is set (the report must not need them), in which case each holds its records.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

TITLES = [
    "春节习俗的由来",
    "每日頭條：民俗百科",
    "广东早茶点心大盘点",
    "清明踏青好去处",
    "古代科举考试的完整流程",
    "云南过桥米线的故事",
]
BEIJING = timezone(timedelta(hours=8))
REASONS = ["http 404", "missing body", "missing title", "not an article", "http 500"]
FIELDS = ("canonical_url", "title", "timestamp", "author", "source", "breadcrumbs", "body", "images", "related_links", "captions")


@dataclass
class Written:
    """What the generator wrote, for the tests to compare the report with."""

    manifests: list[Path]
    rejects: list[Path]


def make_dataset(
    root: Path,
    nights: int = 14,
    records: int = 1400,
    sites: tuple[str, ...] = ("tftnews",),
    workers: int = 1,
    last_night: date | None = None,
    seed: int = 16,
    data_files: bool = False,
    timestamps: bool = True,
    file_records: int = 10000,
) -> Written:
    """Write ``nights`` nights of ``sites`` under ``root``: ``records`` written records per site in all."""
    rng = random.Random(seed)
    last_night = last_night or datetime.now(UTC).date()
    written = Written([], [])
    runs = nights * workers
    for site in sites:
        # ±5% from run to run, then the difference spread over the runs: ``records`` exactly.
        base = records // runs
        counts = [base + rng.randint(-base // 20, base // 20) for _ in range(runs)]
        difference = records - sum(counts)
        for i in range(abs(difference)):
            counts[i % runs] += 1 if difference > 0 else -1
        for n in range(nights):
            day = last_night - timedelta(days=nights - 1 - n)
            for w in range(workers):
                worker = f"node{w + 1}" if workers > 1 else None
                _night_run(root, site, day, worker, counts[n * workers + w], rng, written, data_files, timestamps, file_records)
    return written


def _night_run(
    root: Path,
    site: str,
    day: date,
    worker: str | None,
    count: int,
    rng: random.Random,
    out: Written,
    data_files: bool,
    timestamps: bool,
    file_records: int,
) -> None:
    started = datetime(day.year, day.month, day.day, 2, 0, rng.randint(0, 59), tzinfo=UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    token = f"{rng.getrandbits(24):06x}"
    run_id = f"{stamp}-{worker}-{token[:4]}" if worker else f"{stamp}-{token}"
    folder = root / site / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    pages = int(count * 1.4) + 5
    finished = started + timedelta(seconds=pages / rng.uniform(20, 60))
    changed = count // 20
    rejected = {reason: rng.randint(0, 6) for reason in rng.sample(REASONS, 3)}
    rejected = {k: v for k, v in sorted(rejected.items()) if v}
    fields = {name: count for name in ("canonical_url", "title", "body", "breadcrumbs")}
    fields |= {
        "timestamp": int(count * rng.uniform(0.9, 1.0)) if timestamps else 0,
        "author": int(count * rng.uniform(0.5, 0.8)),
        "source": int(count * rng.uniform(0.3, 0.6)),
        "images": int(count * rng.uniform(0.4, 0.7)),
        "related_links": int(count * rng.uniform(0.7, 0.95)),
    }
    fields["captions"] = int(fields["images"] * rng.uniform(0.2, 0.5))
    records = [_record(site, day, i, rng, timestamps) for i in range(min(count, 20 if not data_files else count))]
    files = []
    for seq, start in enumerate(range(0, count, file_records), 1):
        name = f"articles-{run_id}-{seq:04d}.jsonl"
        n = min(file_records, count - start)
        if data_files:
            lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records[start : start + n])
            (folder / name).write_text(lines, encoding="utf-8")
        files.append({"name": name, "records": n, "bytes": n * 3000, "sha256": "0" * 64})
    if data_files:
        fields = {name: sum(1 for r in records if _has(r, name)) for name in FIELDS}
    newest = sorted(records, key=lambda r: (r["timestamp"] is not None, r["timestamp"] or r["crawled_at"]), reverse=True)[:20]
    rejects_path = folder / f"rejects-{run_id}.jsonl"
    with rejects_path.open("w", encoding="utf-8") as f:
        for reason, n in rejected.items():
            for i in range(n):
                entry = {
                    "url": f"https://www.{site}.example.cn/bad/{day:%Y%m%d}-{i}.html",
                    "reason": reason,
                    "stage": "fetch",
                    "record": None,
                }
                f.write(json.dumps(entry, ensure_ascii=False) + "\n")
    manifest = {
        "spider": site,
        "run_id": run_id,
        "worker_id": worker,
        "started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "finished_at": finished.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "finish_reason": "finished",
        "schema_version": 1,
        "settings": {"CAIJI_SCRIPT_TARGET": "hans"},
        "files": files,
        "rejects": {"name": rejects_path.name, "records": sum(rejected.values())} if rejected else None,
        "recovered": [],
        "counts": {
            "written": count,
            "rejected": rejected,
            "duplicates": rng.randint(0, 30),
            "new": count - changed,
            "changed": changed,
            "unchanged": rng.randint(0, count // 3 + 1),
            "syndicated": 0,
            "skipped": rng.randint(0, 50),
            "recovered": 0,
            "pages": pages,
            "http_errors": rejected.get("http 404", 0) + rejected.get("http 500", 0),
        },
        "checks": {"passed": ["minimum articles", "field coverage", "error rate", "finish reason"], "skipped": {}, "failed": {}},
        "fields": fields,
        "newest": [
            {"title": r["title"], "timestamp": r["timestamp"], "url": r["url"], "crawled_at": r["crawled_at"]} for r in newest
        ],
        "outcome": {"exit_code": 0, "failure": None},
    }
    path = folder / f"manifest-{run_id}.json"
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    out.manifests.append(path)
    out.rejects.append(rejects_path)


def _record(site: str, day: date, i: int, rng: random.Random, timestamps: bool) -> dict:
    moment = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC) - timedelta(minutes=7 * i + rng.randint(0, 6))
    images = (
        [{"url": f"https://img.{site}.example.cn/{i}.jpg", "alt": None, "caption": "图注" if i % 3 == 0 else None}]
        if i % 2
        else []
    )
    return {
        "url": f"https://www.{site}.example.cn/{day:%Y%m%d}/{i}.html",
        "canonical_url": f"https://www.{site}.example.cn/{day:%Y%m%d}/{i}.html",
        "site": site,
        "title": f"{TITLES[i % len(TITLES)]}（{day:%m月%d日} 第{i}篇）",
        "timestamp": moment.astimezone(BEIJING).isoformat(timespec="seconds") if timestamps else None,
        "timestamp_raw": None,
        "author": "记者 王晓" if i % 2 else None,
        "source": None,
        "breadcrumbs": ["首页", "民俗"],
        "body": "正文。",
        "images": images,
        "related_links": [],
        "script": {"detected": "hans", "target": "hans"},
        "crawled_at": f"{day.isoformat()}T02:{i % 60:02d}:00Z",
        "content_hash": "0" * 64,
    }


def _has(record: dict, name: str) -> bool:
    if name == "captions":
        return any(image.get("caption") for image in record["images"])
    return bool(record.get(name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--nights", type=int, default=100)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--sites", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    sites = ("tftnews", *(f"site{n}" for n in range(2, args.sites + 1)))
    written = make_dataset(args.dir, args.nights, args.records, sites, args.workers)
    print(f"{len(written.manifests)} manifests under {args.dir}")


if __name__ == "__main__":
    main()
