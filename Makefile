# `make run` and `make test` do all the set-up on a fresh machine: a .venv made with
# python3 -m venv when missing, the package installed (editable, with its dev extra) only
# when pyproject.toml changed since the last install, then the app or the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install clean bench postgres

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The window needs the system libraries of Qt's xcb plugin: say which apt-get line adds
# the missing ones instead of Qt's "Could not load the Qt platform plugin xcb".
run: $(STAMP)
	@$(BIN)/python -m ocrstudio.ui.syslibs
	$(BIN)/ocrstudio gui $(ARGS)

# The layers' import contracts, ruff's rules and its formatting, and mypy over the package
# and the recipes with zero errors (settings in pyproject.toml).
LINTED := ocrstudio recipes tests benchmarks tools
lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

# The team-project tests start their own throwaway PostgreSQL server (tests/support/pgcluster.py)
# from the server binaries: installed from Debian's package when neither PATH nor
# /usr/lib/postgresql has initdb (as root, or through sudo).
postgres:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	  || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	       $$SUDO apt-get update -qq && \
	       DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	         postgresql >/dev/null; }

test: lint postgres
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -n 2 --dist loadfile -q $(PYTEST_ARGS)

# The edit loop's suite: no lint, and without the tests that learn a model for real
# (slow), read ../shared/data (data) or drive the window (gui): about 540 tests, 110 s of
# test time on one core (the gui tests alone take more).
.PHONY: test-fast
test-fast: $(STAMP) postgres
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -n 2 --dist loadfile -q \
	  -m "not slow and not data and not gui" $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/ocrstudio bench

# The peers of benchmarks/bench_peers.py in a venv of their own: RapidOCR pulls
# opencv-python, whose Qt plugins clash with PySide6's. RapidOCR 3.10's wheel carries its
# models. Tesseract needs its program too (apt-get install tesseract-ocr), else it is skipped.
PEERS := .venv-peers
.PHONY: peers
peers: $(PEERS)/.installed
$(PEERS)/.installed:
	$(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install --quiet rapidocr==3.10.0 onnxruntime pytesseract
	touch $@

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
