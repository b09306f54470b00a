"""``scrapy genspider``, with caiji's ``portal`` template: a site spider and its rules module.

Scrapy's own templates (basic, crawl, …) still work: the project's templates folder
(``TEMPLATES_DIR``, crawler/templates) is looked in first, then Scrapy's.
"""

from __future__ import annotations

import argparse
import shutil
from importlib import import_module
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.commands.genspider import Command as ScrapyGenspider
from scrapy.utils.template import render_templatefile

from crawler.rules import all_rules

#: Templates that write a rules module beside the spider, from ``<TEMPLATES_DIR>/rules/<name>.tmpl``.
WITH_RULES = ("portal",)


class Command(ScrapyGenspider):
    """Scrapy's genspider; ``-t portal`` also writes crawler/rules/NAME.py."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if opts.template in WITH_RULES and len(args) == 2 and not (opts.list or opts.dump):
            module = self._module_name(args[0])
            if not opts.force and self._rules_exist(module):
                self.exitcode = 1
                return
        super().run(args, opts)

    def _module_name(self, name: str) -> str:
        from scrapy.commands.genspider import sanitize_module_name

        return sanitize_module_name(name)

    def _rules_exist(self, module: str) -> bool:
        path = self._rules_dir() / f"{module}.py"
        if path.exists() or module in all_rules():
            print(f"Site rules {module!r} already exist: {path}")
            return True
        return False

    def _rules_dir(self) -> Path:
        return Path(import_module("crawler.rules").__file__).parent.resolve()

    def _generate_template_variables(self, module: str, name: str, url: str, template_name: str) -> dict[str, Any]:
        tvars = super()._generate_template_variables(module, name, url, template_name)
        host = (urlsplit(url).hostname or "").lower()
        tvars["host"] = host
        tvars["rules_host"] = host.removeprefix("www.")
        tvars["rules_classname"] = tvars["classname"].removesuffix("Spider") + "Rules"
        return tvars

    def _genspider(self, module: str, name: str, url: str, template_name: str, template_file: Any) -> Path:
        spider_file = super()._genspider(module, name, url, template_name, template_file)
        rules_template = Path(self.settings["TEMPLATES_DIR"] or "", "rules", f"{template_name}.tmpl")
        if template_name in WITH_RULES and rules_template.exists():
            rules_file = self._rules_dir() / f"{module}.py"
            shutil.copyfile(rules_template, rules_file)
            render_templatefile(rules_file, **self._generate_template_variables(module, name, url, template_name))
            print(f"Created site rules {module!r} in module:\n  crawler.rules.{module}")
            print(
                "Next: save an article page of the portal as a fixture and review its record:\n"
                f"  scrapy savefixture URL_OR_FILE --site {module} --case CASE"
            )
        return spider_file

    def _find_template(self, template: str) -> Path | None:
        # The project's templates first, then Scrapy's own (TEMPLATES_DIR replaces them in Scrapy).
        filename = template if template.endswith(".tmpl") else f"{template}.tmpl"
        for folder in (Path(self.templates_dir), self._scrapy_templates_dir()):
            if (folder / filename).exists():
                return folder / filename
        return super()._find_template(template)

    def _list_templates(self) -> None:
        names = {p.stem for folder in (Path(self.templates_dir), self._scrapy_templates_dir()) for p in folder.glob("*.tmpl")}
        print("Available templates:\n" + "\n".join(f"  {name}" for name in sorted(names)))

    @staticmethod
    def _scrapy_templates_dir() -> Path:
        return Path(scrapy.__path__[0], "templates", "spiders")
