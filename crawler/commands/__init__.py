"""caiji's Scrapy commands (COMMANDS_MODULE): ``crawl`` with exit codes, ``extract``, ``summary``, ``validate``."""
