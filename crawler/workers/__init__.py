"""Extraction of article pages, in the crawl's process or in a pool of worker processes."""
