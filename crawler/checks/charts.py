"""The report's charts: matplotlib figures written as static SVG, text drawn as outlines.

Static SVG needs no script and no network to show, in a browser or a mail client, and with the
glyphs drawn as paths the Chinese titles look the same on a machine without CJK fonts.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from crawler.checks.fonts import CjkFont
from crawler.checks.report import PLOTTED_FIELDS, SiteReport

#: Colours of written / unchanged / rejected, and of the lines after them (colour-blind safe).
COLOURS = ("#0072B2", "#A6CEE3", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#999999")
#: Reasons shown one by one in the rejects chart; the rest are added up as "other".
TOP_REASONS = 10


class Charts:
    """Draws a site's charts as SVG strings, in the CJK font given (or matplotlib's default)."""

    def __init__(self, font: CjkFont | None) -> None:
        self.families = ["DejaVu Sans"]
        self.has_cjk = font is not None
        if font is not None:
            # Registering a file is how matplotlib is told of a font its cache was built without
            # (fonts-noto-cjk installed after matplotlib first ran).
            # Once per process: each call appends the file's faces to matplotlib's list again.
            if font.family not in {entry.name for entry in font_manager.fontManager.ttflist}:
                font_manager.fontManager.addfont(font.path)
            self.families = [font.family, "DejaVu Sans"]

    @contextmanager
    def _style(self) -> Iterator[None]:
        rc = {
            "font.family": self.families,
            "font.size": 9,
            "svg.fonttype": "path",
            # Ids in the SVG from a fixed salt: the same report twice is the same bytes.
            "svg.hashsalt": "caiji",
            "axes.unicode_minus": False,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
        }
        with matplotlib.rc_context(rc), warnings.catch_warnings():
            if not self.has_cjk:
                # The page says once that there is no CJK font; matplotlib would say it per glyph.
                warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)
            yield

    def _svg(self, figure: Figure) -> str:
        figure.tight_layout()
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        svg = buffer.getvalue()
        # The XML prologue and DOCTYPE do not belong inside an HTML page.
        return svg[svg.index("<svg") :]

    def articles(self, site: SiteReport) -> str:
        """Stacked bars per night: written (new + changed), unchanged, rejected."""
        with self._style():
            figure = Figure(figsize=(8, 3.2))
            ax = figure.add_subplot()
            labels = [night.day.strftime("%m-%d") for night in site.nights]
            written = [night.total("written") for night in site.nights]
            unchanged = [night.total("unchanged") for night in site.nights]
            rejected = [night.rejected for night in site.nights]
            positions = range(len(labels))
            ax.bar(positions, written, color=COLOURS[0], label="写入 written")
            ax.bar(positions, unchanged, bottom=written, color=COLOURS[1], label="未变 unchanged")
            ax.bar(
                positions,
                rejected,
                bottom=[a + b for a, b in zip(written, unchanged, strict=True)],
                color=COLOURS[2],
                label="拒收 rejected",
            )
            ax.set_title(f"{site.name} · 每晚文章 Articles per night", loc="left", fontsize=11)
            _night_axis(ax, labels)
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.legend(loc="upper left", fontsize=8, frameon=False, ncols=3, bbox_to_anchor=(0, -0.18))
            return self._svg(figure)

    def coverage(self, site: SiteReport) -> str:
        """One line per field: the share of each night's written records that have it."""
        with self._style():
            figure = Figure(figsize=(8, 3.2))
            ax = figure.add_subplot()
            labels = [night.day.strftime("%m-%d") for night in site.nights]
            for colour, (name, label) in zip(COLOURS[3:] + COLOURS[:3], PLOTTED_FIELDS.items(), strict=False):
                values = [night.coverage(name) for night in site.nights]
                # None (no record written, or not recorded) leaves a gap rather than a false 0%.
                ys = [float("nan") if v is None else v for v in values]
                ax.plot(range(len(labels)), ys, marker="o", markersize=3, color=colour, label=label)
            ax.set_ylim(-0.03, 1.05)
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            ax.set_title(f"{site.name} · 字段覆盖率 Field coverage", loc="left", fontsize=11)
            _night_axis(ax, labels)
            ax.legend(loc="upper left", fontsize=8, frameon=False, ncols=5, bbox_to_anchor=(0, -0.18))
            return self._svg(figure)

    def rejects(self, site: SiteReport) -> str:
        """Horizontal bars: rejected pages over the window by reason."""
        reasons = site.rejects_by_reason()
        shown = list(reasons.items())[:TOP_REASONS]
        rest = sum(list(reasons.values())[TOP_REASONS:])
        if rest:
            shown.append(("其他 other", rest))
        with self._style():
            figure = Figure(figsize=(8, 0.6 + 0.3 * max(len(shown), 2)))
            ax = figure.add_subplot()
            if shown:
                names = [name for name, _ in reversed(shown)]
                ax.barh(range(len(names)), [n for _, n in reversed(shown)], color=COLOURS[2])
                ax.set_yticks(range(len(names)), names)
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            else:
                ax.text(0.5, 0.5, "无拒收 no rejected page", ha="center", va="center", transform=ax.transAxes)
                ax.set_yticks([])
                ax.set_xticks([])
            ax.set_title(
                f"{site.name} · 拒收原因 Rejects by reason ({len(site.nights)} night{'s' if len(site.nights) > 1 else ''})",
                loc="left",
                fontsize=11,
            )
            return self._svg(figure)

    def speed(self, site: SiteReport) -> str:
        """Bars of each night's duration (minutes) and a line of its pages per second."""
        with self._style():
            figure = Figure(figsize=(8, 3.0))
            ax = figure.add_subplot()
            labels = [night.day.strftime("%m-%d") for night in site.nights]
            seconds = [night.duration or 0 for night in site.nights]
            unit, label = _time_unit(max(seconds))
            rates = [night.pages_per_second for night in site.nights]
            ax.bar(range(len(labels)), [s / unit for s in seconds], color=COLOURS[1], label=f"时长 duration ({label})")
            ax.set_ylabel(f"时长 duration ({label})")
            twin = ax.twinx()
            twin.plot(
                range(len(labels)),
                [float("nan") if r is None else r for r in rates],
                color=COLOURS[0],
                marker="o",
                markersize=3,
                label="页/秒 pages/s",
            )
            twin.set_ylabel("页/秒 pages/s")
            twin.set_ylim(bottom=0)
            twin.grid(False)
            ax.set_title(f"{site.name} · 速度与时长 Pages/s and duration", loc="left", fontsize=11)
            _night_axis(ax, labels)
            handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
            ax.legend(
                handles,
                [h.get_label() for h in handles],
                loc="upper left",
                fontsize=8,
                frameon=False,
                ncols=2,
                bbox_to_anchor=(0, -0.18),
            )
            return self._svg(figure)

    def workers(self, site: SiteReport) -> str:
        """Stacked bars per night: records written by each worker of a distributed crawl."""
        names = sorted({worker for night in site.nights for worker in night.workers})
        with self._style():
            figure = Figure(figsize=(8, 3.2))
            ax = figure.add_subplot()
            labels = [night.day.strftime("%m-%d") for night in site.nights]
            bottom = [0] * len(labels)
            for index, worker in enumerate(names):
                values = [night.workers.get(worker, 0) for night in site.nights]
                ax.bar(range(len(labels)), values, bottom=bottom, color=COLOURS[index % len(COLOURS)], label=worker)
                bottom = [a + b for a, b in zip(bottom, values, strict=True)]
            ax.set_title(f"{site.name} · 各节点写入 Written per worker", loc="left", fontsize=11)
            _night_axis(ax, labels)
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.legend(loc="upper left", fontsize=8, frameon=False, ncols=4, bbox_to_anchor=(0, -0.18))
            return self._svg(figure)


def _time_unit(longest: float) -> tuple[float, str]:
    """Seconds per unit and its name, for durations up to ``longest`` seconds."""
    if longest < 120:
        return 1, "s"
    if longest < 2 * 3600:
        return 60, "min"
    return 3600, "h"


def _night_axis(ax, labels: list[str]) -> None:
    """Night labels on the x axis, thinned to at most ~15 so that they stay legible."""
    step = max(1, -(-len(labels) // 15))
    ticks = list(range(len(labels)))[::-1][::step][::-1]  # always label the last night
    ax.set_xticks(ticks, [labels[i] for i in ticks])
    # At least a week's width, so that one night is a bar and not the whole plot; newest on the right.
    ax.set_xlim(min(-0.6, len(labels) - 7.6), len(labels) - 0.4)
    ax.grid(axis="x", visible=False)
