"""How long ``scrapy report`` takes on a big dataset: 100 nights, 1 million records (manifests only).

    python bench/report.py [--nights 100] [--records 1000000] [--sites 1] [--rounds 3] [--json FILE]

The dataset is made by bench/nights.py in a temporary folder (its data files are not written: the
report reads manifests and rejects only). Reported: the best of ``--rounds`` for reading the
numbers (``read_s``), for the whole page (``report_s``: reading, charts, font subset, writing), and
for ``scrapy report`` as a user runs it (``command_s``: a new process, imports included).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(HERE))

from nights import make_dataset  # noqa: E402

from crawler.checks.report import read_dataset  # noqa: E402
from crawler.checks.report_page import write_report  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nights", type=int, default=100)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--sites", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sites = ("tftnews", *(f"site{n}" for n in range(2, args.sites + 1)))
    with tempfile.TemporaryDirectory(prefix="caiji-bench-report-") as tmp:
        root = Path(tmp) / "data"
        made = make_dataset(root, args.nights, args.records, sites)
        records = sum(json.loads(p.read_text(encoding="utf-8"))["counts"]["written"] for p in made.manifests)
        read_s, report_s, command_s = [], [], []
        for _ in range(args.rounds):
            start = time.perf_counter()
            report = read_dataset(root, nights=args.nights)
            read_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            write_report(read_dataset(root, nights=args.nights), Path(tmp) / "report.html")
            report_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            scrapy = Path(sys.executable).with_name("scrapy")
            subprocess.run(
                [str(scrapy), "report", str(root), "-o", str(Path(tmp) / "cmd.html")],
                cwd=PROJECT,
                check=True,
                capture_output=True,
            )
            command_s.append(time.perf_counter() - start)
        size = (Path(tmp) / "report.html").stat().st_size
    result = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
        "nights": args.nights,
        "sites": len(sites),
        "manifests": len(made.manifests),
        "records": records,
        "runs_read": sum(len(site.runs) for site in report.sites.values()),
        "read_s": round(min(read_s), 3),
        "report_s": round(min(report_s), 3),
        "command_s": round(min(command_s), 3),
        "report_kb": round(size / 1024),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
