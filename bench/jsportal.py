"""A larger copy of the JavaScript demo portal (jsnews) for the rendering benchmark.

    python bench/jsportal.py --articles 200 --out DIR

The bundled portal (fixtures/build_jsportal.py) plus ``--articles`` more script-only articles
(``/article/<id>.html`` fetching ``/api/article/<id>.json``), each with its own title and text,
listed 20 to a list page (``/list/<n>.html``) chained from the bundled list pages.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
FIRST_ID = 5000
PER_LIST = 20
FIRST_LIST = 100


def build(out: Path, articles: int) -> list[str]:
    """Write the portal into ``out``; the paths of its articles."""
    import sys

    sys.path.insert(0, str(PROJECT / "fixtures"))
    from build_jsportal import ARTICLES, build, page_url

    build(out)
    template = json.loads((out / "api" / "article" / "2001.json").read_text(encoding="utf-8"))
    shell = (out / "article" / "2001.html").read_text(encoding="utf-8")
    ids = [FIRST_ID + i for i in range(articles)]
    for n, article_id in enumerate(ids):
        data = {
            **template,
            "id": article_id,
            "title": f"{template['title']}（第{n + 1}篇）",
            "content": template["content"].replace("<p>", f"<p>第{n + 1}篇：", 1),
        }
        (out / "api" / "article" / f"{article_id}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        (out / "article" / f"{article_id}.html").write_text(shell, encoding="utf-8")
    pages = [ids[i : i + PER_LIST] for i in range(0, len(ids), PER_LIST)]
    lists = json.loads((out / "api" / "list" / "2.json").read_text(encoding="utf-8"))
    if pages:
        # The bundled last list page leads on to the generated ones.
        lists["next"] = f"/list/{FIRST_LIST}.html"
        (out / "api" / "list" / "2.json").write_text(json.dumps(lists, ensure_ascii=False), encoding="utf-8")
    list_shell = (out / "list" / "2.html").read_text(encoding="utf-8")
    for k, chunk in enumerate(pages):
        name = str(FIRST_LIST + k)
        data = {
            "heading": "更多",
            "channels": lists["channels"],
            "items": [{"url": f"/article/{i}.html", "title": f"第{i}篇", "time": "2025-06-18 09:30"} for i in chunk],
            "next": f"/list/{FIRST_LIST + k + 1}.html" if k + 1 < len(pages) else None,
        }
        (out / "api" / "list" / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        (out / "list" / f"{name}.html").write_text(list_shell.replace('data-list="2"', f'data-list="{name}"'), encoding="utf-8")
    return [page_url(a[0]) for a in ARTICLES] + [f"/article/{i}.html" for i in ids]


def main() -> None:
    """Build the portal into ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    print(f"{len(build(args.out, args.articles))} articles in {args.out}")


if __name__ == "__main__":
    main()
