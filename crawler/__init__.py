"""caiji: a Scrapy project that crawls Chinese portals into clean article records."""
