"""晨光快讯 (www.jsnews.example.cn): a portal whose pages a script builds from its JSON API."""

from crawler.rules.base import Rules


class JsnewsRules(Rules):
    """Rules for jsnews pages as the browser leaves them (``/next/`` pages read without one)."""

    name = "jsnews"
    hosts = ("jsnews.example.cn",)
    timezone = "Asia/Shanghai"
    title_suffixes = ("_晨光快讯",)
    # Lists and articles arrive by JavaScript; pages whose JSON is embedded are read without it.
    render = "all"
    render_wait_css = ".article-content p, .news-list li, p.error"

    title_css = "h1.article-title"
    time_css = ".article-meta .article-time"
    author_css = ".article-meta .article-author"
    source_css = ".article-meta .article-source"
    breadcrumbs_css = ".crumbs a"
    body_css = ".article-content"
    related_item_css = ".related .related-item"
    related_link_css = "a.related-link"
    related_summary_css = ".related-summary"
    related_date_css = ".related-date"
