"""Scrapy settings for caiji; every value here can be overridden with ``-s KEY=VALUE``."""

BOT_NAME = "caiji"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"

USER_AGENT = "caiji/0.1 (+https://github.com/caiji/caiji)"

# Politeness for real portals; spiders relax it when pointed at a loopback copy (demo, tests).
ROBOTSTXT_OBEY = True
DOWNLOAD_DELAY = 0.5
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 8
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 4.0

DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_TIMES = 2

# Per response Scrapy starts CONCURRENT_ITEMS tasks (scrapy#5182) and re-parses each callback's
# source for the generator-return warning; both cost more than our extraction on loopback.
CONCURRENT_ITEMS = 1
WARN_ON_GENERATOR_RETURN_VALUE = False

# With the default, Chinese comes out of -O/-o feeds as \uXXXX (scrapy#1963).
FEED_EXPORT_ENCODING = "utf-8"

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.CharsetMiddleware": 950,
}

ITEM_PIPELINES = {
    "pipelines.cleaning.CleaningPipeline": 100,
    "pipelines.script.ScriptPipeline": 200,
    "pipelines.validation.ValidationPipeline": 300,
    "pipelines.dedup.DedupPipeline": 400,
    "pipelines.dataset.DatasetPipeline": 900,
}

EXTENSIONS = {
    "crawler.run.DatasetRun": 0,
    "crawler.extensions.RunOutcome": 10,
}

LOG_LEVEL = "INFO"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# --- caiji (SPEC §3) ---
CAIJI_SCRIPT_TARGET = "hans"
CAIJI_DATA_DIR = "data"
CAIJI_INCREMENTAL = None  # None: on for site spiders, off for generic (SPEC §3)
CAIJI_REFRESH_DAYS = 2
CAIJI_FILE_RECORDS = 10000
CAIJI_COMPRESS = None
CAIJI_REDIS_URL = None
# The timezone a site's rules read times in when they name none.
CAIJI_DEFAULT_TIMEZONE = "Asia/Shanghai"
