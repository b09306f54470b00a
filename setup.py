"""Shim for tools that still run ``setup.py`` (scrapyd-deploy builds the Scrapyd egg with it).

Everything is configured in pyproject.toml; scrapyd-deploy would otherwise write a setup.py of its
own that packages every folder, test fixtures included.
"""

from setuptools import setup

setup()
