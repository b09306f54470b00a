"""The package's layout: a folder per stage, imports pointing one way, private APIs in one module.

docs/architecture.md explains the order; this keeps the code to it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Stages in the order they build on one another: a module may import its own stage and earlier ones.
STAGES = [
    ("base", ["crawler.signals", "crawler.internals", "crawler.settings", "schema"]),
    ("extraction", ["crawler.extraction"]),
    ("rules", ["crawler.rules"]),
    ("state", ["crawler.state"]),
    ("pipelines", ["pipelines"]),
    ("workers", ["crawler.workers"]),
    ("spiders", ["crawler.spiders"]),
    ("render", ["crawler.render"]),
    ("checks", ["crawler.checks"]),
    ("distributed", ["crawler.distributed"]),
    ("commands", ["crawler.commands"]),
]
#: Names of private APIs of Scrapy, parsel, lxml and scrapy-playwright: used in crawler/internals.py only.
PRIVATE = ["_ctgroup", "_cached_selector", "_slot", "_find_method", "_element_classes", "_launch"]


def stage_of(module: str) -> int | None:
    for rank, (_, prefixes) in enumerate(STAGES):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    return None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> list[Path]:
    return sorted([*(ROOT / "crawler").rglob("*.py"), *(ROOT / "pipelines").rglob("*.py"), *(ROOT / "schema").rglob("*.py")])


def imported(path: Path) -> list[str]:
    """Every project module ``path`` imports, at the top or inside a function."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return [name for name in names if stage_of(name) is not None]


def test_every_module_belongs_to_a_stage():
    lost = [module_name(p) for p in sources() if stage_of(module_name(p)) is None and module_name(p) != "crawler"]
    assert not lost, f"modules in no stage folder (see STAGES and docs/architecture.md): {lost}"


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_a_later_stage(path):
    own = stage_of(module_name(path))
    if own is None:
        return
    later = [name for name in imported(path) if stage_of(name) > own]
    assert not later, f"{module_name(path)} ({STAGES[own][0]}) imports a later stage: {later}"


def test_private_apis_are_used_in_one_module_only():
    pattern = re.compile(r"\.(" + "|".join(PRIVATE) + r")\b")
    users = {
        str(p.relative_to(ROOT))
        for p in [*sources(), *(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]
        if pattern.search(p.read_text(encoding="utf-8")) and p.name != "test_layout.py"
    }
    assert users <= {"crawler/internals.py", "tests/test_internals.py"}, (
        f"private APIs used outside crawler/internals.py: {users}"
    )


def test_the_package_imports_no_test_or_benchmark_code():
    for path in sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                modules.append(node.module)
            assert not [m for m in modules if m.split(".")[0] in ("tests", "bench", "fixtures")], path
