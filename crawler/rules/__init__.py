"""Site rules: one module per portal, plus the generic rules for every other one."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from crawler.rules.base import Limits, NoArticle, Rules

__all__ = ["Limits", "NoArticle", "Rules", "all_rules", "get_rules", "rules_for_url"]


@cache
def all_rules() -> dict[str, type[Rules]]:
    """Every rules class by name: the generic one and one per site module in this package."""
    found: dict[str, type[Rules]] = {Rules.name: Rules}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name in ("base", "generic"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rules)
                and value is not Rules
                and value.__module__ == module.__name__
            ):
                found[value.name] = value
    return found


def get_rules(name: str) -> Rules:
    """The rules called ``name``; KeyError names the ones there are."""
    try:
        return all_rules()[name]()
    except KeyError:
        raise KeyError(f"no site rules named {name!r}; known: {', '.join(sorted(all_rules()))}") from None


def rules_for_url(url: str) -> Rules:
    """The site rules whose hosts include ``url``'s host, else the generic rules."""
    for cls in all_rules().values():
        if cls.hosts and cls.matches(url):
            return cls()
    return Rules()
