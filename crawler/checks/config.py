"""Checking caiji's settings before a run, so a bad value is a usage error (exit 2), not a crash."""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings

from crawler.spiders.rendering import render_mode
from crawler.state.run import safe_name
from crawler.state.store import FSYNC_MODES
from pipelines.script import CONFIGS


def check_settings(settings: BaseSettings) -> None:
    """Raise UsageError naming the first CAIJI_* setting with a value caiji cannot use."""
    target = (settings.get("CAIJI_SCRIPT_TARGET") or "none").strip().lower()
    if target not in CONFIGS:
        raise UsageError(f"CAIJI_SCRIPT_TARGET must be one of {', '.join(CONFIGS)}, not {target!r}", print_help=False)
    compress = (settings.get("CAIJI_COMPRESS") or "").strip().lower()
    if compress not in ("", "none", "gzip"):
        raise UsageError(f"CAIJI_COMPRESS must be gzip or unset, not {compress!r}", print_help=False)
    fsync = (settings.get("CAIJI_FSYNC") or "").strip().lower()
    if fsync not in FSYNC_MODES:
        raise UsageError(
            f"CAIJI_FSYNC must be one of {', '.join(FSYNC_MODES)}, not {settings.get('CAIJI_FSYNC')!r}", print_help=False
        )
    for name in ("CAIJI_FILE_RECORDS", "CAIJI_REFRESH_DAYS", "CAIJI_COVERAGE_MIN_RECORDS", "CAIJI_FSYNC_RECORDS"):
        try:
            value = settings.getfloat(name)
        except ValueError:
            raise UsageError(f"{name} must be a number, not {settings.get(name)!r}", print_help=False) from None
        if value < 0 or (name in ("CAIJI_FILE_RECORDS", "CAIJI_FSYNC_RECORDS") and value < 1):
            raise UsageError(f"{name} must be positive, not {settings.get(name)!r}", print_help=False)
        if name != "CAIJI_REFRESH_DAYS" and not value.is_integer():
            raise UsageError(f"{name} must be a whole number, not {settings.get(name)!r}", print_help=False)
    for name, low, high in (
        ("CAIJI_MIN_ARTICLES", 0, None),
        ("CAIJI_MIN_TIMESTAMP_COVERAGE", 0, 1),
        ("CAIJI_MAX_ERROR_RATE", 0, 1),
        ("CAIJI_PROGRESS_INTERVAL", 0, None),
        ("CAIJI_FSYNC_SECONDS", 0, None),
    ):
        try:
            value = settings.getfloat(name)
        except ValueError:
            raise UsageError(f"{name} must be a number, not {settings.get(name)!r}", print_help=False) from None
        if value < low or (high is not None and value > high):
            span = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise UsageError(f"{name} must be {span}, not {settings.get(name)!r}", print_help=False)
    try:
        render_mode(settings)
    except ValueError as exc:
        raise UsageError(str(exc), print_help=False) from None
    for name, low, whole in (
        ("CAIJI_RENDER_CONCURRENCY", 1, True),
        ("CAIJI_RENDER_TIMEOUT", 0.1, False),
        ("CAIJI_RENDER_MAX_PAGES", 0, True),
    ):
        try:
            value = settings.getfloat(name)
        except ValueError:
            raise UsageError(f"{name} must be a number, not {settings.get(name)!r}", print_help=False) from None
        if value < low or (whole and not value.is_integer()):
            kind = "a whole number" if whole else "a number"
            raise UsageError(f"{name} must be {kind} of at least {low}, not {settings.get(name)!r}", print_help=False)
    incremental = settings.get("CAIJI_INCREMENTAL")
    if incremental not in (None, "") and str(incremental).strip().lower() not in ("0", "1", "true", "false", "yes", "no"):
        raise UsageError(f"CAIJI_INCREMENTAL must be 0 or 1, not {incremental!r}", print_help=False)
    worker = settings.get("CAIJI_WORKER_ID")
    if worker:
        try:
            safe_name(worker, "CAIJI_WORKER_ID")
        except ValueError as exc:
            raise UsageError(str(exc), print_help=False) from None
    _check_redis_url(settings.get("CAIJI_REDIS_URL"))
    if not (settings.get("CAIJI_DATA_DIR") or "").strip():
        raise UsageError("CAIJI_DATA_DIR must name a folder", print_help=False)


def _check_redis_url(value: str | None) -> None:
    """A ``CAIJI_REDIS_URL`` redis-py can connect with: ``redis://``, ``rediss://`` or ``unix://``."""
    value = (value or "").strip()
    if not value:
        return
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError on a malformed port)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
        raise UsageError(f"CAIJI_REDIS_URL must be redis://host:port/db (or rediss://, unix://), not {value!r}", print_help=False)
