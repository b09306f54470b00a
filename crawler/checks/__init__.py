"""Checks and reports on a crawl: settings before it, its progress, its outcome, Spidermon's checks after it."""
