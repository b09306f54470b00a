"""The README and docs/ against the repository: length, layout table, module paths, links, settings.

Everything is derived from the disk (folders, settings.py), so a folder or setting added later is
asked of the docs without a change here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
ARCHITECTURE = DOCS / "architecture.md"
#: Docs that name modules and files of the project: every one they name must exist.
CODE_DOCS = [ARCHITECTURE, DOCS / "operations.md", DOCS / "performance.md", DOCS / "accuracy.md"]
MAX_README_LINES = 330

#: Folders that are no part of the repository: built, generated or local.
NOT_TRACKED = {"__pycache__", "data", "build", "dist", "node_modules"}
#: Top-level folders whose files a doc may name by path.
PATH_ROOTS = ("crawler", "pipelines", "schema", "bench", "tests", "fixtures", "deploy", "docs")
_FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.M | re.S)
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
_FILE_PATH = re.compile(r"(?<![\w./-])((?:" + "|".join(PATH_ROOTS) + r")/[\w./-]*\.[A-Za-z]\w*)(?![\w/])")
_DIR_PATH = re.compile(r"(?<![\w./-])((?:" + "|".join(PATH_ROOTS) + r")/(?:[\w.-]+/)*)(?![\w<…])")
_DOTTED = re.compile(r"`((?:crawler|pipelines|schema)(?:\.\w+)+)`")


def is_tracked_folder(path: Path) -> bool:
    """A folder that belongs to the repository: not hidden, not built or local, holding a source file."""
    name = path.name
    if not path.is_dir() or name.startswith(".") or name in NOT_TRACKED or name.endswith(".egg-info"):
        return False
    return any(f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc" for f in path.rglob("*"))


def repository_folders() -> list[str]:
    """Top-level folders, crawler/'s sub-folders and fixtures/'s sub-folders, as found on disk."""
    found = [p.name for p in ROOT.iterdir() if is_tracked_folder(p)]
    for parent in ("crawler", "fixtures"):
        found += [f"{parent}/{p.name}" for p in (ROOT / parent).iterdir() if is_tracked_folder(p)]
    return sorted(found)


def section(text: str, title: str) -> str:
    """The body of the ``## title`` section of a markdown text ('' when there is none)."""
    match = re.search(rf"^## {re.escape(title)}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    return match.group(1) if match else ""


def without_code_blocks(text: str) -> str:
    return _FENCE.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*]|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for line in without_code_blocks(path.read_text(encoding="utf-8")).splitlines():
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            base = slug(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def markdown_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def test_readme_is_short():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines; move detail into docs/ (at most {MAX_README_LINES})"


def test_every_folder_is_in_the_readme_layout_table():
    table = section(README.read_text(encoding="utf-8"), "Layout")
    assert table, "README.md has no '## Layout' section"
    listed = set()
    for row in table.splitlines():
        cells = row.split("|")
        if row.startswith("|") and len(cells) > 2:
            listed |= {name.strip().rstrip("/") for name in re.findall(r"`([^`]+)`", cells[1])}
    missing = [folder for folder in repository_folders() if folder not in listed]
    assert not missing, f"folders missing from the README's layout table: {missing}"


def test_the_folder_list_comes_from_the_disk():
    folders = repository_folders()
    assert {"crawler", "pipelines", "tests", "crawler/extraction", "fixtures/pages"} <= set(folders)
    assert not [f for f in folders if "__pycache__" in f or f.endswith(".egg-info") or f.split("/")[0] == "data"]


@pytest.mark.parametrize("doc", CODE_DOCS, ids=lambda p: p.name)
def test_every_path_a_doc_names_exists(doc):
    text = doc.read_text(encoding="utf-8")
    files = set(_FILE_PATH.findall(text))
    folders = set(_DIR_PATH.findall(text))
    missing = sorted(p for p in files if not (ROOT / p).is_file()) + sorted(p for p in folders if not (ROOT / p).is_dir())
    assert not missing, f"{doc.name} names paths that do not exist: {missing}"


def test_the_architecture_names_modules_and_every_stage_folder():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    stages = set(re.findall(r"crawler/(\w+)/", text))
    assert stages, "docs/architecture.md names no crawler/<stage>/ folder"
    assert not [s for s in stages if not (ROOT / "crawler" / s).is_dir()], stages
    assert {"extraction", "rules", "state", "spiders", "checks", "distributed", "commands"} <= stages
    assert len(set(_FILE_PATH.findall(text))) >= 20, "docs/architecture.md should name the modules it describes"


@pytest.mark.parametrize("doc", CODE_DOCS, ids=lambda p: p.name)
def test_every_dotted_name_a_doc_gives_exists(doc):
    """``crawler.distributed.frontier.Scheduler``: the module exists and defines the name."""
    wrong = []
    for dotted in sorted(set(_DOTTED.findall(doc.read_text(encoding="utf-8")))):
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            base = ROOT.joinpath(*parts[:cut])
            module = base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py"
            if module.is_file():
                rest = parts[cut:]
                if len(rest) > 1 or (rest and not re.search(rf"\b{rest[0]}\b", module.read_text(encoding="utf-8"))):
                    wrong.append(dotted)
                break
        else:
            wrong.append(dotted)
    assert not wrong, f"{doc.name} names modules or attributes that do not exist: {wrong}"


@pytest.mark.parametrize("doc", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_to_a_file(doc):
    broken = []
    for target in _LINK.findall(without_code_blocks(doc.read_text(encoding="utf-8"))):
        if _SCHEME.match(target):
            continue
        path, _, anchor = target.partition("#")
        linked = (doc.parent / path).resolve() if path else doc
        if not linked.exists():
            broken.append(target)
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target} (no such heading)")
    assert not broken, f"{doc.relative_to(ROOT)} links to what is not there: {broken}"


def settings_names() -> list[str]:
    tree = ast.parse((ROOT / "crawler" / "settings.py").read_text(encoding="utf-8"))
    names = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        names += [t.id for t in targets if isinstance(t, ast.Name) and t.id.startswith("CAIJI_")]
    return names


def test_every_caiji_setting_is_documented():
    """Each CAIJI_* setting has a row (name, default, meaning) in a settings table of the README or docs/."""
    names = settings_names()
    assert len(names) >= 20, names
    text = "".join(path.read_text(encoding="utf-8") for path in markdown_files())
    missing = [name for name in names if not re.search(rf"(?m)^\| `{name}` \|", text)]
    assert not missing, f"settings in crawler/settings.py with no row in a settings table of README.md or docs/: {missing}"
