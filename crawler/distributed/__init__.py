"""Distributed mode (``CAIJI_REDIS_URL``): the add-on, the shared frontier and the article store in Redis.

Nothing here is imported by a one-machine crawl but :mod:`crawler.distributed.addon`, which imports no Redis.
"""
