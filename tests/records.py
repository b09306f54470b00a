"""A valid record to build test cases from."""

from crawler.extraction.items import content_hash


def make_record(**changes) -> dict:
    """A complete, valid article record; keyword arguments replace fields."""
    record = {
        "url": "https://www.tftnews.com/news/1000.html",
        "canonical_url": "https://www.tftnews.com/news/1000.html",
        "site": "tftnews",
        "title": "深化民族团结进步创建工作",
        "timestamp": "2025-03-31T13:17:35+08:00",
        "timestamp_raw": "更新时间:2025-03-31 13:17:35",
        "author": "云南网通讯员 代洪",
        "source": None,
        "breadcrumbs": ["首页", "每日头条", "民俗"],
        "body": "第一段。\n第二段。",
        "images": [{"url": "https://www.tftnews.com/a.jpg", "alt": None, "caption": "专题文艺演出。供图"}],
        "related_links": [
            {"url": "https://www.tftnews.com/news/1001.html", "title": "标题", "summary": None, "date": "2025-03-31"}
        ],
        "script": {"detected": "hant", "target": "hans"},
        "crawled_at": "2026-11-29T01:02:03Z",
        "content_hash": "",
    }
    record.update(changes)
    record["content_hash"] = changes.get("content_hash") or content_hash(record["title"] or "", record["body"] or "")
    return record
