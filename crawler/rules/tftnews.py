"""每日頭條 (www.tftnews.com): a thin layer of selectors over the generic rules."""

from crawler.rules.base import Rules


class TftnewsRules(Rules):
    """Rules for tftnews article pages."""

    name = "tftnews"
    hosts = ("tftnews.com",)
    timezone = "Asia/Shanghai"
    title_suffixes = (" - 每日頭條", " - 每日头条")

    title_css = "h1.article-title"
    time_css = ".article-meta .article-time"
    author_css = ".article-author"
    source_css = ".article-meta .article-source"
    breadcrumbs_css = ".breadcrumb a"
    body_css = ".article-content"
    related_item_css = ".related .related-item"
    related_link_css = "a.related-link"
    related_summary_css = ".related-summary"
    related_date_css = ".related-date"
    next_page_css = ".article-pages a.next-page::attr(href)"
