"""Scrapy settings for caiji; every value here can be overridden with ``-s KEY=VALUE``."""

from pathlib import Path

BOT_NAME = "caiji"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"
# `scrapy genspider -t portal NAME DOMAIN` writes a site spider and its rules module from here.
TEMPLATES_DIR = str(Path(__file__).resolve().parent / "templates")

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
# Seconds before the first retry of a page, doubled for each next one, capped.
CAIJI_RETRY_BACKOFF = 1.0
CAIJI_RETRY_BACKOFF_MAX = 30.0

# Per response Scrapy starts CONCURRENT_ITEMS tasks (scrapy#5182) and re-parses each callback's
# source for the generator-return warning; both cost more than our extraction on loopback.
CONCURRENT_ITEMS = 1
WARN_ON_GENERATOR_RETURN_VALUE = False

# Requests wait in the scheduler as compact bytes (~300 B) rather than live Request objects
# (~2 KB): related links spread over the whole portal queue most of its articles early on, and
# with Scrapy's LifoMemoryQueue peak RSS grew with the portal's size. Same order as Scrapy's;
# unserializable requests are kept as objects. Distributed mode's scrapy-redis scheduler does not
# use it. Scrapy's queue back: -s SCHEDULER_MEMORY_QUEUE=scrapy.squeues.LifoMemoryQueue.
SCHEDULER_MEMORY_QUEUE = "crawler.state.queues.CompactLifoMemoryQueue"
# Scrapy's dupefilter; the redirects it drops (loops) are recorded as rejected pages.
DUPEFILTER_CLASS = "crawler.state.dupefilters.DupeFilter"

# With the default, Chinese comes out of -O/-o feeds as \uXXXX (scrapy#1963).
FEED_EXPORT_ENCODING = "utf-8"

# Scrapy's caching resolver (IPv4 and IPv6) that refuses names resolving to private, loopback,
# link-local (cloud metadata) addresses unless the crawl started on one (crawler/spiders/resolver.py).
TWISTED_DNS_RESOLVER = "crawler.spiders.resolver.ScopedResolver"

DOWNLOADER_MIDDLEWARES = {
    # Before robots.txt (100) and redirects (600) build their requests' fate.
    "crawler.spiders.middlewares.ScopeMiddleware": 50,
    "crawler.spiders.middlewares.RetryBackoffMiddleware": 560,
    # Below HttpCompressionMiddleware (590): responses reach it decompressed (at 950 a gzip-encoded
    # page passed it still compressed, and Scrapy's own charset guess stood).
    "crawler.extraction.charset.CharsetMiddleware": 580,
}

ITEM_PIPELINES = {
    "pipelines.cleaning.CleaningPipeline": 100,
    "pipelines.script.ScriptPipeline": 200,
    "pipelines.validation.ValidationPipeline": 300,
    "pipelines.dedup.DedupPipeline": 400,
    "pipelines.dataset.DatasetPipeline": 900,
}

# Distributed crawling on scrapy-redis, switched on by CAIJI_REDIS_URL; a no-op without it. Rendering
# in a headless browser (CAIJI_RENDER below): a no-op with CAIJI_RENDER=off.
ADDONS = {"crawler.distributed.addon.Distributed": 0, "crawler.render.addon.Rendering": 0}

EXTENSIONS = {
    "crawler.state.run.DatasetRun": 0,
    "crawler.checks.outcome.RunOutcome": 10,
    # After RunOutcome: the checks are skipped when the run already failed for another reason.
    "spidermon.contrib.scrapy.extensions.Spidermon": 500,
    "crawler.checks.progress.Progress": 510,
    # -s CAIJI_REPORT=1: report.html beside the manifest at the end of the crawl.
    "crawler.checks.report_writer.ReportAtEnd": 520,
}

# Scrapy's LogStats line is replaced by caiji's Progress line (CAIJI_PROGRESS_INTERVAL).
LOGSTATS_INTERVAL = 0

# Checks of the finished crawl (crawler/checks/monitors.py); their thresholds are the CAIJI_MIN_* /
# CAIJI_MAX_* settings below. Spidermon wants this set even when item validation is not used.
SPIDERMON_ENABLED = True
SPIDERMON_SPIDER_CLOSE_MONITORS = ["crawler.checks.monitors.FinishedCrawlChecks"]
SPIDERMON_MAX_ITEM_VALIDATION_ERRORS = 0

LOG_LEVEL = "INFO"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# --- caiji (SPEC §3) ---
CAIJI_SCRIPT_TARGET = "hans"
CAIJI_DATA_DIR = "data"
CAIJI_INCREMENTAL = None  # None: on for site spiders, off for generic (SPEC §3)
CAIJI_REFRESH_DAYS = 2
CAIJI_FILE_RECORDS = 10000
CAIJI_COMPRESS = None
# Durability (pipelines/dataset.py): `batch` fsyncs the data file, then commits the article store,
# every CAIJI_FSYNC_RECORDS records or CAIJI_FSYNC_SECONDS seconds and at close, so a power cut
# loses at most that batch and the store never names a record that is not on disk; `every` does
# it for each record; `off` leaves both to the operating system (a power cut may lose records
# the store calls stored).
CAIJI_FSYNC = "batch"
CAIJI_FSYNC_RECORDS = 100
CAIJI_FSYNC_SECONDS = 1.0
CAIJI_REDIS_URL = None
# Distributed mode (CAIJI_REDIS_URL set; crawler/distributed/addon.py): key prefix in Redis, seconds
# without a heartbeat after which a worker counts as dead (its requests in flight go back on the
# queue), and the worker id (unset: <host>-<pid>).
CAIJI_REDIS_PREFIX = "caiji"
CAIJI_REDIS_DEAD_AFTER = 30
CAIJI_WORKER_ID = None
# The article store's class when not SQLite in the data dir; the distributed add-on sets the Redis one.
CAIJI_ARTICLE_STORE = None
# Caps on one record, so a pathological page cannot stall a crawl (longer bodies are cut at a
# paragraph and logged; images and related links beyond the cap are left out).
CAIJI_MAX_BODY_CHARS = 200_000
CAIJI_MAX_IMAGES = 300
CAIJI_MAX_RELATED = 100
# Article pages are extracted (charset, parse, rules, cleaning, script, hash) in worker processes,
# off the reactor's thread (crawler/workers/): auto = cores - 1 (at least 1); 0 = in the crawl's
# own thread. A page whose extraction crashes its worker or runs past CAIJI_EXTRACT_TIMEOUT
# seconds (0: no limit) is rejected with that reason; the worker is replaced.
CAIJI_EXTRACT_WORKERS = "auto"
CAIJI_EXTRACT_TIMEOUT = 60
# Article pages one worker holds at once (the one it extracts, the next ones in its pipe; 4 MB at
# most): enough that it does not wait while the reactor is busy elsewhere.
CAIJI_EXTRACT_QUEUE = 8
# `module.function` called with each article page's URL and bytes where it is extracted, before
# extraction: fault injection and debugging (tests make a worker crash or hang with it).
CAIJI_EXTRACT_HOOK = None
# The timezone naive times are read in on hosts whose site rules name none and whose country
# domain (.tw, .hk …) gives none: the generic rules' default.
CAIJI_DEFAULT_TIMEZONE = "Asia/Shanghai"
# Checks of the finished crawl: a failed check makes the run exit 1 (SPEC §4).
CAIJI_MIN_ARTICLES = 1  # articles the dataset holds for this run: written + unchanged + skipped
CAIJI_MIN_TIMESTAMP_COVERAGE = 0.9  # share of written records with a timestamp (title, body: always 1)
CAIJI_COVERAGE_MIN_RECORDS = 20  # fewer records written: the timestamp check asks for one, not a share
CAIJI_MAX_ERROR_RATE = 0.5  # share of pages that could not be fetched (HTTP errors, network errors)
CAIJI_FINISH_REASONS = ["finished"]  # finish reasons that count as a complete crawl
# Seconds between progress lines in the log; 0 switches them off.
CAIJI_PROGRESS_INTERVAL = 30
# `scrapy report` and the report written at the end of a crawl (CAIJI_REPORT=1, beside the
# manifest): nights shown, and a font file with Chinese glyphs (unset: found through fontconfig).
CAIJI_REPORT = False
CAIJI_REPORT_NIGHTS = 30
CAIJI_REPORT_FONT = None

# --- pages built with JavaScript (docs/rendering.md) ---
# auto: a page is fetched again through headless Chromium when its HTML (and its embedded JSON)
# gives nothing and the site rules ask (their `render`) or the page is a script shell; off: never;
# all: every page straight through the browser.
CAIJI_RENDER = "auto"
# The Chromium (or Chrome) executable; unset: chromium, chromium-browser, google-chrome on PATH.
CAIJI_BROWSER_PATH = None
CAIJI_RENDER_CONCURRENCY = 4  # pages open in the browser at once
CAIJI_RENDER_TIMEOUT = 20  # seconds a page may take to load and be built by its script
CAIJI_RENDER_MAX_PAGES = 2000  # pages rendered per crawl; beyond it pages are rejected (0: no limit)
# What the browser does not fetch: resource types, and hosts of ads and trackers (and subdomains).
CAIJI_RENDER_BLOCK_TYPES = ["image", "media", "font"]
CAIJI_RENDER_BLOCK_HOSTS = [
    "doubleclick.net",
    "googlesyndication.com",
    "google-analytics.com",
    "googletagmanager.com",
    "hm.baidu.com",
    "pos.baidu.com",
    "cpro.baidu.com",
    "cnzz.com",
    "51.la",
    "tanx.com",
    "mediav.com",
]
# Hosts besides the crawl's own that page scripts may fetch from (a portal's CDN or API host).
CAIJI_RENDER_ALLOW_HOSTS = []
