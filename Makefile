# newsbot: every target creates the virtual environment and installs what it needs first.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
SITE   ?= gginews
ARGS   ?=

.PHONY: install pywb crawl test demo sample list clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

# pywb (tests/test_pywb.py replays crawls with it) pins libraries the crawler's venv cannot
# share (redis 2.x), so it gets a virtualenv of its own.
PYWB_VENV ?= .venv-pywb
PYWB_SPEC ?= pywb>=2.10,<2.11

$(PYWB_VENV)/.installed: | $(BIN)/python
	$(PYTHON) -m venv $(PYWB_VENV)
	$(PYWB_VENV)/bin/python -m pip install --quiet "$(PYWB_SPEC)"
	touch $@

## pywb: the replay server the archive tests (and you) can open crawls in
pywb: $(PYWB_VENV)/.installed

## crawl SITE=<spider> [ARGS='-a since=...']: a polite live crawl into output/
crawl: install
	$(BIN)/scrapy crawl $(SITE) $(ARGS)

## test: the whole test suite (the command CI runs)
test: install pywb
	NEWSBOT_PYWB_VENV=$(abspath $(PYWB_VENV)) $(BIN)/python -m pytest

## demo: offline run from the sample archive the repo ships, into output/demo/
demo: install
	$(BIN)/scrapy crawl gginews -s REPLAY_WARC=samples/gginews-sample.warc.gz -s OUTPUT_DIR=output/demo
	@echo; echo "JSON Lines:"; ls output/demo/gginews/jsonl/; echo "WARC:"; ls output/demo/gginews/warc/

## sample: rebuild samples/gginews-sample.warc.gz from the fixture pages
sample: install
	$(BIN)/python scripts/build_sample_archive.py gginews

list: install
	$(BIN)/scrapy list

clean:
	rm -rf $(VENV) $(PYWB_VENV) output/demo .pytest_cache
