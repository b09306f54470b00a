"""Human summaries of runs and datasets: what the crawl command and ``scrapy summary`` print."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from crawler.checks.outcome import page_counts


def run_summary(stats: dict, manifest_path: Path | None) -> str:
    """A few lines on a finished crawl, from its stats (and manifest, when one was written)."""
    counts = {}
    if manifest_path and manifest_path.exists():
        counts = json.loads(manifest_path.read_text(encoding="utf-8")).get("counts", {})
    rejected = {k.split("/", 2)[2]: v for k, v in stats.items() if k.startswith("caiji/rejected/")}
    pages, failed = page_counts(stats)
    lines = [
        f"pages      {stats.get('response_received_count', 0)} fetched, {stats.get('caiji/skipped_stored', 0)} skipped as already stored",
        f"records    {stats.get('caiji/written', 0)} written ({stats.get('caiji/new', 0)} new, {stats.get('caiji/changed', 0)} changed),"
        f" {stats.get('caiji/unchanged', 0)} unchanged, {stats.get('caiji/duplicates', 0)} duplicates",
        f"rejected   {sum(rejected.values())}"
        + (f" ({', '.join(f'{k}: {v}' for k, v in sorted(rejected.items()))})" if rejected else ""),
        f"errors     {failed} of {pages} pages failed, {stats.get('log_count/ERROR', 0)} logged",
        f"finished   {stats.get('finish_reason', '?')}",
    ]
    passed, failed_checks = stats.get("caiji/checks/passed"), stats.get("caiji/checks/failed") or {}
    if failed_checks:
        lines.append(f"checks     FAILED {len(failed_checks)} of {len(failed_checks) + len(passed or [])}:")
        lines += [f"             {name}: {why}" for name, why in failed_checks.items()]
    elif passed:  # none passed and none failed: all skipped, the run had failed before them
        skipped = stats.get("caiji/checks/skipped") or {}
        lines.append(f"checks     passed: {', '.join(passed)}" + (f" (skipped: {', '.join(skipped)})" if skipped else ""))
    if counts.get("recovered"):
        lines.append(f"recovered  {counts['recovered']} records left by a killed run")
    if manifest_path:
        lines.append(f"dataset    {manifest_path.parent}")
        lines.append(f"manifest   {manifest_path}")
    if stats.get("caiji/report"):
        lines.append(f"report     {stats['caiji/report']}")
    return "\n".join(lines)


def manifests(path: Path) -> Iterator[tuple[Path, dict]]:
    """Every readable manifest under ``path``, oldest run first."""
    for manifest in sorted(path.rglob("manifest-*.json"), key=lambda p: p.name):
        try:
            yield manifest, json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue


def dataset_summary(path: Path) -> str:
    """One line per run under ``path`` (a data dir or a part of one) and a total."""
    rows = []
    total_records = total_files = 0
    for manifest_path, m in manifests(path):
        files = m.get("files") or []
        records = sum(f.get("records", 0) for f in files)
        total_records += records
        total_files += len(files)
        rejected = (
            sum((m.get("counts") or {}).get("rejected", {}).values())
            if isinstance((m.get("counts") or {}).get("rejected"), dict)
            else 0
        )
        rows.append(
            f"{m.get('spider', '?'):<10} {m.get('run_id', '?'):<28} {manifest_path.parent.name}  "
            f"{len(files)} files  {records} records  {rejected} rejected  {m.get('finish_reason', '?')}"
        )
    if not rows:
        return f"no runs under {path}"
    rows.append(f"total: {len(rows)} runs, {total_files} files, {total_records} records")
    return "\n".join(rows)
