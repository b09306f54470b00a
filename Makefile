# caiji: `make demo` and `make test` work on a fresh machine with python3, make and git.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PURE := .venv-pure
PORT ?= 8800

.PHONY: demo demo-site test test-pure lint format venv clean redis-server chromium report-screenshot strace

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# The same project with opencc-python-reimplemented in place of the official OpenCC (both
# install the module `opencc`, so it needs a virtualenv of its own).
$(PURE)/.installed: pyproject.toml
	$(PYTHON) -m venv $(PURE)
	$(PURE)/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(PURE)/bin/pip uninstall --quiet --yes opencc
	$(PURE)/bin/pip install --quiet --disable-pip-version-check opencc-python-reimplemented==0.1.7
	touch $@

demo: venv
	$(BIN)/python fixtures/demo.py

demo-site: venv
	$(BIN)/python fixtures/serve.py --port $(PORT)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The distributed-crawl tests (tests/test_distributed.py) start a redis-server of their own;
# on a machine without one it is installed from the distribution's packages (Debian: redis-server).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends redis-server; }

# Headless Chromium and CJK fonts: the rendering tests (tests/test_rendering.py) drive the
# distribution's Chromium (Playwright's own browser download is not used), and the report's browser
# test opens the report in it; fonts-noto-cjk gives the report's charts and pages their CJK font.
chromium:
	@{ command -v chromium >/dev/null 2>&1 && fc-list :lang=zh family 2>/dev/null | grep -q .; } || { \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends chromium fonts-noto-cjk; }

# docs/report.png and docs/report-nights.png: the demo's report, and one of 30 synthetic nights of
# two workers, as Chromium shows them (the screenshot code of tests/test_report_browser.py).
SAMPLE := data/report-sample
report-screenshot: venv chromium
	$(BIN)/python fixtures/demo.py
	$(BIN)/python fixtures/screenshot.py data/demo/report.html docs/report.png
	rm -rf $(SAMPLE)
	$(BIN)/python bench/nights.py $(SAMPLE) --nights 30 --records 300000 --workers 2
	$(BIN)/scrapy report $(SAMPLE) -o $(SAMPLE)/report.html
	$(BIN)/python fixtures/screenshot.py $(SAMPLE)/report.html docs/report-nights.png

# The durability tests (tests/test_durability.py) read a crawl's system calls with strace.
strace:
	@command -v strace >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends strace; }

test: venv lint redis-server chromium strace
	$(BIN)/python -m pytest -q

test-pure: $(PURE)/.installed
	$(PURE)/bin/python -m pytest -q -m pure

clean:
	rm -rf $(VENV) $(PURE) data/demo .pytest_cache .ruff_cache
