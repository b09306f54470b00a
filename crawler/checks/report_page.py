"""The report as one self-contained HTML page: no script, no network, charts and font inside."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

from crawler.checks.charts import Charts
from crawler.checks.fonts import EMBEDDED_FAMILY, CjkFont, find_cjk_font, font_face_css
from crawler.checks.report import DatasetReport, Night, Run, SiteReport

_CSS = """
body { font-family: "Helvetica Neue", Arial, "%(family)s", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       margin: 0 auto; max-width: 1100px; padding: 1em 1.5em 3em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05em; margin: 1.5em 0 0.4em; }
.meta { color: #666; font-size: 0.9em; }
.banner { padding: 0.8em 1em; border-radius: 4px; font-weight: bold; margin: 1em 0; }
.banner.failed { background: #c62828; color: #fff; } .banner.ok { background: #2e7d32; color: #fff; }
.banner ul { margin: 0.3em 0 0; font-weight: normal; }
.problems { background: #fff8e1; border: 1px solid #f0c36d; padding: 0.6em 1em; border-radius: 4px; }
.problems li { margin: 0.2em 0; }
.chart svg { width: 100%%; max-width: 1000px; height: auto; display: block; }
table { border-collapse: collapse; font-size: 0.85em; width: 100%%; }
th, td { text-align: left; padding: 0.25em 0.5em; border-bottom: 1px solid #eee; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.failed td { background: #ffebee; } tr.norun td { color: #999; }
.summary { display: flex; flex-wrap: wrap; gap: 0.5em 1.5em; margin: 0.5em 0 1em; }
.summary div { min-width: 7em; } .summary b { display: block; font-size: 1.3em; }
a { color: #0b57d0; text-decoration: none; } a:hover { text-decoration: underline; }
"""


def render_report(report: DatasetReport, font: CjkFont | None = None) -> str:
    """The whole page for ``report``; Chinese in ``font`` (charts as outlines, text as an embedded subset)."""
    charts = Charts(font)
    problems = list(report.problems)
    if font is None:
        problems.append("no CJK font found (Debian: apt install fonts-noto-cjk, or CAIJI_REPORT_FONT): Chinese may show as boxes")
    body = [_header(report), _banner(report)]
    if problems:
        items = "".join(f"<li>{escape(p)}</li>" for p in problems)
        body.append(f'<div class="problems"><b>未能读取 Could not read</b> ({len(problems)})<ul>{items}</ul></div>')
    if len(report.sites) > 1:
        body.append(_sites_table(report))
    body += [_site(site, charts) for site in report.sites.values()]
    body.append(f'<p class="meta">caiji · {escape(_when(report.generated_at))}</p>')
    page_body = "\n".join(body)
    face = font_face_css(font, page_body) if font is not None else ""
    title = f"caiji 采集报告 · {report.data_dir.name or report.data_dir}"
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>\n{face}\n{_CSS % {'family': EMBEDDED_FAMILY}}</style>\n</head>\n"
        f"<body>\n{page_body}\n</body>\n</html>\n"
    )


def write_report(report: DatasetReport, path: Path, font_path: str | None = None) -> Path:
    """Write the page to ``path`` through a temporary name: a half-written report never replaces the last."""
    html = render_report(report, find_cjk_font(font_path))
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own: workers of a distributed crawl may write the same night's report at once.
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".part-{path.name}-")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(html)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would keep the page from a web server's user
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _header(report: DatasetReport) -> str:
    window = f"{report.days[0].isoformat()} – {report.days[-1].isoformat()}"
    return (
        f"<h1>caiji 采集报告 Crawl report</h1>\n"
        f'<p class="meta">{escape(str(report.data_dir))} · {len(report.sites)} site{"s" if len(report.sites) > 1 else ""} · '
        f"{len(report.days)} night{'s' if len(report.days) > 1 else ''} ({window}, UTC) · generated {escape(_when(report.generated_at))}</p>"
    )


def _banner(report: DatasetReport) -> str:
    failed = report.failed_sites
    if not failed:
        return '<div class="banner ok">上一晚正常 Last night went well for every site</div>'
    items = []
    for name in failed:
        night = report.sites[name].last_night
        assert night is not None
        items += [f"<li>{escape(name)} ({night.day.isoformat()}): {escape(v)}</li>" for v in night.verdicts]
    return f'<div class="banner failed">上一晚失败 Last night FAILED: {escape(", ".join(failed))}<ul>{"".join(items)}</ul></div>'


def _sites_table(report: DatasetReport) -> str:
    rows = []
    for name, site in report.sites.items():
        night = site.last_night
        if night is None:
            rows.append(
                f'<tr class="norun"><td><a href="#site-{escape(name)}">{escape(name)}</a></td><td colspan=3>no run in these nights</td></tr>'
            )
            continue
        verdicts = night.verdicts
        rows.append(
            f'<tr class="{"failed" if verdicts else ""}"><td><a href="#site-{escape(name)}">{escape(name)}</a></td>'
            f"<td>{night.day.isoformat()}</td><td class=n>{night.total('written'):,}</td>"
            f"<td>{escape('; '.join(verdicts) if verdicts else 'ok')}</td></tr>"
        )
    head = "<tr><th>站点 site</th><th>上一晚 last night</th><th class=n>写入 written</th><th>状态 status</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _site(site: SiteReport, charts: Charts) -> str:
    parts = [f'<section id="site-{escape(site.name)}">', f"<h2>{escape(site.name)}</h2>"]
    last = site.last_night
    if last is not None:
        parts.append(_last_night(last))
    parts.append(f'<div class="chart">{charts.articles(site)}</div>')
    parts.append(f'<div class="chart">{charts.coverage(site)}</div>')
    parts.append(f'<div class="chart">{charts.rejects(site)}</div>')
    parts.append(f'<div class="chart">{charts.speed(site)}</div>')
    if site.distributed:
        parts.append(f'<div class="chart">{charts.workers(site)}</div>')
    parts.append(_nights_table(site))
    if last is not None and (site.distributed or len(last.runs) > 1):
        parts.append(_runs_table(last))
    parts.append(_newest_table(site))
    parts.append(_rejects_table(site))
    parts.append("</section>")
    return "\n".join(parts)


def _last_night(night: Night) -> str:
    rate = night.pages_per_second
    cells = [
        ("写入 written", f"{night.total('written'):,}"),
        ("新 new / 改 changed", f"{night.total('new'):,} / {night.total('changed'):,}"),
        ("未变 unchanged", f"{night.total('unchanged'):,}"),
        ("拒收 rejected", f"{night.rejected:,}"),
        ("页面 pages", f"{night.total('pages'):,}"),
        ("时长 duration", _duration(night.duration)),
        ("页/秒 pages/s", f"{rate:.1f}" if rate is not None else "–"),
        ("结束 finish", ", ".join(sorted({r.finish_reason or "none" for r in night.runs}))),
    ]
    html = "".join(f"<div>{escape(label)}<b>{escape(value)}</b></div>" for label, value in cells)
    checks = _checks(night.runs)
    return f'<h3>上一晚 Last night: {night.day.isoformat()}</h3>\n<div class="summary">{html}</div>\n<p>{checks}</p>'


def _checks(runs: list[Run]) -> str:
    passed = sorted({str(name) for run in runs for name in ((run.checks or {}).get("passed") or [])})
    failed = {name: why for run in runs for name, why in run.failed_checks.items()}
    if not passed and not failed:
        return "检查 Checks: not recorded"
    parts = [f"检查 Checks: passed {escape(', '.join(passed)) or 'none'}"]
    if failed:
        parts.append("<b>failed</b> " + "; ".join(f"{escape(k)}: {escape(str(v))}" for k, v in failed.items()))
    return " · ".join(parts)


def _nights_table(site: SiteReport) -> str:
    head = (
        "<tr><th>夜 night</th><th class=n>runs</th><th class=n>写入 written</th><th class=n>新 new</th><th class=n>改 changed</th>"
        "<th class=n>未变 unchanged</th><th class=n>拒收 rejected</th><th class=n>页面 pages</th><th class=n>时长</th>"
        "<th class=n>页/秒</th><th>结束 finish</th><th>检查 checks</th></tr>"
    )
    rows = []
    idle: list[Night] = []
    for night in [*reversed(site.nights), None]:
        if night is not None and not night.runs:
            idle.append(night)
            continue
        if idle:
            # Nights without a run, newest first, in one row.
            span = idle[0].day.isoformat() if len(idle) == 1 else f"{idle[-1].day.isoformat()} – {idle[0].day.isoformat()}"
            rows.append(
                f'<tr class="norun"><td colspan=12>{span}: 无运行 no run ({len(idle)} night{"s" if len(idle) > 1 else ""})</td></tr>'
            )
            idle = []
        if night is None:
            break
        verdicts = night.verdicts
        rate = night.pages_per_second
        checks = "; ".join(verdicts) if verdicts else "ok"
        rows.append(
            f'<tr class="{"failed" if verdicts else ""}"><td>{night.day.isoformat()}</td><td class=n>{len(night.runs)}</td>'
            f"<td class=n>{night.total('written'):,}</td><td class=n>{night.total('new'):,}</td><td class=n>{night.total('changed'):,}</td>"
            f"<td class=n>{night.total('unchanged'):,}</td><td class=n>{night.rejected:,}</td><td class=n>{night.total('pages'):,}</td>"
            f"<td class=n>{_duration(night.duration)}</td><td class=n>{f'{rate:.1f}' if rate is not None else '–'}</td>"
            f"<td>{escape(', '.join(sorted({r.finish_reason or 'none' for r in night.runs})))}</td><td>{escape(checks)}</td></tr>"
        )
    return f"<h3>每晚 Nights</h3>\n<table>{head}{''.join(rows)}</table>"


def _runs_table(night: Night) -> str:
    head = (
        "<tr><th>节点 worker</th><th>run</th><th class=n>写入 written</th><th class=n>未变 unchanged</th>"
        "<th class=n>拒收 rejected</th><th class=n>页面 pages</th><th class=n>时长</th><th>结束 finish</th><th>verdict</th></tr>"
    )
    rows = []
    for run in night.runs:
        verdict = run.verdict
        rows.append(
            f'<tr class="{"failed" if verdict else ""}"><td>{escape(run.worker_id or "-")}</td><td>{escape(run.run_id)}</td>'
            f"<td class=n>{run.written:,}</td><td class=n>{run.unchanged:,}</td><td class=n>{sum(run.rejected.values()):,}</td>"
            f"<td class=n>{run.pages:,}</td><td class=n>{_duration(run.duration)}</td><td>{escape(run.finish_reason or 'none')}</td>"
            f"<td>{escape(verdict or 'ok')}</td></tr>"
        )
    return f"<h3>上一晚各节点 Last night per worker</h3>\n<table>{head}{''.join(rows)}</table>"


def _newest_table(site: SiteReport) -> str:
    if not site.newest:
        return "<h3>最新文章 Newest articles</h3>\n<p>none written in these nights</p>"
    untimed = all(not entry.get("timestamp") for entry in site.newest)
    rows = []
    for entry in site.newest:
        title = escape(str(entry.get("title") or "(no title)"))
        url = str(entry.get("url") or "")
        link = f'<a href="{escape(url)}">{title}</a>' if urlsplit(url).scheme in ("http", "https") else title
        rows.append(
            f"<tr><td>{link}</td><td>{escape(str(entry.get('timestamp') or '–'))}</td>"
            f"<td>{escape(str(entry.get('crawled_at') or '–'))}</td></tr>"
        )
    note = " (no article has a timestamp: ordered by fetch time)" if untimed else ""
    return (
        f"<h3>最新文章 Newest articles{escape(note)}</h3>\n"
        f"<table><tr><th>标题 title</th><th>时间 time</th><th>抓取 fetched</th></tr>{''.join(rows)}</table>"
    )


def _rejects_table(site: SiteReport) -> str:
    if not site.reject_examples:
        return ""
    rows = "".join(
        f"<tr><td>{escape(str(e.get('url') or '–'))}</td><td>{escape(str(e.get('reason') or '–'))}</td>"
        f"<td>{escape(str(e.get('stage') or '–'))}</td></tr>"
        for e in site.reject_examples
    )
    return (
        "<h3>上一晚拒收 Last night's rejected pages</h3>\n"
        f"<table><tr><th>网址 url</th><th>原因 reason</th><th>阶段 stage</th></tr>{rows}</table>"
    )


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
