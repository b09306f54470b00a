# caiji: `make demo` and `make test` work on a fresh machine with python3, make and git.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PURE := .venv-pure
PORT ?= 8800

.PHONY: demo demo-site test test-pure lint format venv clean redis-server chromium

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

# Rendering pages built with JavaScript (tests/test_rendering.py) drives the distribution's headless
# Chromium (Playwright's own browser download is not used), with CJK fonts for the pages' text.
chromium:
	@{ command -v chromium >/dev/null 2>&1 && dpkg -s fonts-noto-cjk >/dev/null 2>&1; } || { \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends chromium fonts-noto-cjk; }

test: venv lint redis-server chromium
	$(BIN)/python -m pytest -q

test-pure: $(PURE)/.installed
	$(PURE)/bin/python -m pytest -q -m pure

clean:
	rm -rf $(VENV) $(PURE) data/demo .pytest_cache .ruff_cache
