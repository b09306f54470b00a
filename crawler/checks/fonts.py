"""The report's CJK font: found on the system, lent to matplotlib, and subset into the page.

Debian's ``fonts-noto-cjk`` gives Noto Sans CJK; any font file with Chinese glyphs can be named
with ``CAIJI_REPORT_FONT``. The page carries the glyphs it uses (a font subset as a data URL), so
it reads the same on a machine without CJK fonts, such as a mail client's.
"""

from __future__ import annotations

import base64
import glob
import io
import shutil
import subprocess
from dataclasses import dataclass

from fontTools import subset
from fontTools.ttLib import TTFont, TTLibError

#: Characters a font must have to be taken as one for Chinese text.
_PROBE = "中文头条采"
#: Where distributions put CJK fonts, when fontconfig is not there to ask.
_KNOWN = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)
#: The name the page gives the embedded subset.
EMBEDDED_FAMILY = "caiji-cjk"


@dataclass(frozen=True)
class CjkFont:
    """A font face with Chinese glyphs: its file, its index in a collection, its family name."""

    path: str
    index: int
    family: str


def find_cjk_font(path: str | None = None) -> CjkFont | None:
    """The font ``path`` names (a .ttc: its Simplified Chinese face when it has one), else the system's; None if none."""
    if path:
        candidates: list[tuple[str, int | None]] = [(path, None)]
    else:
        candidates = [*_fontconfig_candidates(), *((found, None) for known in _KNOWN for found in glob.glob(known))]
    for file, index in candidates:
        font = _probe(file, index)
        if font is not None:
            return font
    return None


def _fontconfig_candidates() -> list[tuple[str, int | None]]:
    if not shutil.which("fc-match"):
        return []
    try:
        out = subprocess.run(
            ["fc-match", "-s", "-f", "%{file}|%{index}\n", "sans-serif:lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
    for line in out.splitlines()[:10]:
        file, _, index = line.rpartition("|")
        if file:
            found.append((file, int(index) if index.isdigit() else None))
    return found


def _probe(file: str, index: int | None) -> CjkFont | None:
    """The face of ``file`` with Chinese glyphs (given ``index``, or the first, preferring SC)."""
    faces = [index] if index is not None else list(range(_face_count(file)))
    fallback = None
    for number in faces:
        try:
            font = TTFont(file, fontNumber=number, lazy=True)
            cmap = font.getBestCmap() or {}
            family = font["name"].getBestFamilyName() or "CJK"
        except (OSError, TTLibError, KeyError, AssertionError):
            continue
        if all(ord(c) in cmap for c in _PROBE):
            candidate = CjkFont(file, number, family)
            if index is not None or " SC" in family or "Simplified" in family:
                return candidate
            fallback = fallback or candidate
    return fallback


def _face_count(file: str) -> int:
    try:
        with open(file, "rb") as f:
            head = f.read(12)
    except OSError:
        return 0
    # A TrueType/OpenType collection: 'ttcf', version, then the number of faces.
    return int.from_bytes(head[8:12], "big") if head[:4] == b"ttcf" else 1


def font_face_css(font: CjkFont, text: str) -> str:
    """An ``@font-face`` rule carrying the glyphs of ``font`` that ``text``'s CJK characters need."""
    wanted = {c for c in text if ord(c) >= 0x2E80}
    if not wanted:
        return ""
    options = subset.Options()
    options.name_IDs = ["*"]
    options.notdef_outline = True
    try:
        import brotli  # noqa: F401  (fontTools needs it for WOFF2)

        options.flavor, mime, form = "woff2", "font/woff2", "woff2"
    except ImportError:
        options.flavor, mime, form = None, "font/otf", "opentype"
    # Lazy: only the tables the subset needs are read from the (large) collection.
    source = TTFont(font.path, fontNumber=font.index, lazy=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(wanted)))
    subsetter.subset(source)
    buffer = io.BytesIO()
    source.flavor = options.flavor
    source.save(buffer)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'@font-face {{ font-family: "{EMBEDDED_FAMILY}"; src: url(data:{mime};base64,{data}) format("{form}"); }}'
