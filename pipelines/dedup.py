"""One record per article: within the run and against what the dataset already holds."""

from __future__ import annotations

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from crawler.extraction.items import identity
from crawler.state.run import DatasetRun
from pipelines import DuplicateItem


class DedupPipeline:
    """Drops a record whose article is stored with the same content hash; counts syndication."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.run: DatasetRun | None = None
        # Identity → hash of what this run has passed on, so two fetches in one run give one record
        # even before the writer has marked the first one stored.
        self._this_run: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.run = self.crawler.get_extension(DatasetRun)

    def process_item(self, item):
        adapter = ItemAdapter(item)
        key = identity(adapter)
        digest = adapter["content_hash"]
        if self._this_run.get(key) == digest:
            self.stats.inc_value("caiji/duplicates")
            raise DuplicateItem(f"already emitted in this run: {key}")
        if self.run is not None and self.run.active:
            # One step in the store: compare with what is stored and claim the record, so that two
            # workers of a distributed crawl never both write it (crawler/distributed/store.py).
            verdict = self.run.store.claim(key, digest)
            if verdict == "unchanged":
                self.stats.inc_value("caiji/unchanged")
                raise DuplicateItem(f"unchanged since it was stored: {key}")
            if verdict == "claimed":
                self.stats.inc_value("caiji/duplicates")
                raise DuplicateItem(f"being written by another worker: {key}")
            self.stats.inc_value(f"caiji/{verdict}")
            if self.run.store.hash_elsewhere(digest, key):
                self.stats.inc_value("caiji/syndicated")
        self._this_run[key] = digest
        return item
