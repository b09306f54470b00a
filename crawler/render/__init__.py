"""Rendering pages in a headless browser (scrapy-playwright driving Chromium), where a page needs one.

Which pages need it is decided by the spiders (crawler/spiders/rendering.py); this stage holds the
add-on that sets the crawl up for it and the download handler that starts the browser on first use.
"""
