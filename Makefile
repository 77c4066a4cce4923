# One entry point for people and CI. Every target installs what it needs into .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# ical.js for the interop tests (tests/interop): Thunderbird's parser, run with Node.
NODE_DIR := tests/interop/node
NODE_STAMP := $(NODE_DIR)/node_modules/.installed
CORPUS ?= ../shared/corpus
DATA_DIR ?= var/data

.PHONY: install run corpus test lint typecheck layers unit screenshots bench bench-large clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# No node, no install: the interop tests then fail and say why, rather than skip.
$(NODE_STAMP): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	npm ci --prefix $(NODE_DIR) --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# Debian's Chromium for the browser tests (tests/browser), installed with apt as root where it is
# missing; Playwright drives it, so no browser is downloaded from anywhere else.
CHROMIUM ?= /usr/bin/chromium
$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "the browser tests need Chromium at $(CHROMIUM)" >&2; exit 1; }
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null

install: $(STAMP) $(NODE_STAMP) $(CHROMIUM)

## run: the whole server on this machine (SMTP drop box, HTTP API, background work) with sample data
run: $(STAMP)
	$(BIN)/cis --data-dir $(DATA_DIR) serve --demo

## corpus: ingest the sample corpus into the embedded SQLite store and show what became of it
# The corpus is unsigned sample mail: it is ingested under the sender policy for tests (off).
corpus: $(STAMP)
	CIS_SENDER_POLICY=off $(BIN)/cis --data-dir $(DATA_DIR) ingest --summary $$(find $(CORPUS) -type f \( -name '*.eml' -o -name '*.ics' -o -name '*.dat' -o -name '*.txt' \) | sort)
	$(BIN)/cis --data-dir $(DATA_DIR) list

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

layers: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP) $(NODE_STAMP) $(CHROMIUM)
	$(BIN)/pytest -q

## screenshots: the browser tests again, saving each page at desktop and phone width in docs/screenshots/
screenshots: $(STAMP) $(NODE_STAMP) $(CHROMIUM)
	CIS_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/browser

## test: lint, type check, layer contract, then the whole test suite
test: lint typecheck layers unit

## bench: ingest throughput vs bare icalendar parsing, snapshot loads, bulk rendering vs naive builds,
##        view rebuilds vs bare decoding, dashboard reads at 100,000 attendees vs 10,
##        Lambda handler cold imports vs boto3, web pages at 100,000 attendees vs 10 and vs the JSON API,
##        a bulk send end to end vs the renderer alone, with peak memory by list size,
##        an idle server's retry rounds vs a full retry,
##        the HTTP server under load (statistics, attendee page, web RSVP) vs a bare FastAPI endpoint,
##        the RSVP report per row at 100,000 recipients vs 1,000 and vs the JSON attendee listing,
##        `cis ingest` in batches of 1,000 (CPU vs bare parsing, as the store grows),
##        a subscription feed of 1,000 events vs the same events from the JSON API,
##        webhook fan-out of one event to 100 endpoints vs a bare loop of signed POSTs
bench: $(STAMP)
	$(BIN)/python -m bench.ingest --corpus $(CORPUS)
	$(BIN)/python -m bench.ingest_batches --corpus $(CORPUS)
	$(BIN)/python -m bench.snapshots
	$(BIN)/python -m bench.render
	$(BIN)/python -m bench.render --links
	$(BIN)/python -m bench.projections
	$(BIN)/python -m bench.pages
	$(BIN)/python -m bench.handlers
	$(BIN)/python -m bench.hostile
	$(BIN)/python -m bench.bulk --rss 10000,100000
	$(BIN)/python -m bench.retry_rounds
	$(BIN)/python -m bench.http_load
	$(BIN)/python -m bench.report
	$(BIN)/python -m bench.feeds
	$(BIN)/python -m bench.webhooks

## bench-large: a bulk send to 1,000,000 recipients (rate, and peak memory against 10,000), and
##              20,000 invitations through `cis ingest` in batches of 1,000 (long: not in bench)
bench-large: $(STAMP)
	$(BIN)/python -m bench.bulk --rounds 1 --rss 10000,1000000
	$(BIN)/python -m bench.ingest_batches --corpus $(CORPUS) --batches 20

## build-*: what `sam build` runs for each function of infra/template.yaml (BuildMethod: makefile):
##          the project's wheel with its [aws] extra, for the Lambda runtime (arm64, CPython 3.11)
LAMBDA_FUNCTIONS := InboundFunction WorkFunction ProjectionsFunction HttpFunction BouncesFunction
LAMBDA_PLATFORM ?= manylinux2014_aarch64

.PHONY: $(addprefix build-,$(LAMBDA_FUNCTIONS))
$(addprefix build-,$(LAMBDA_FUNCTIONS)):
	wheels=$$(mktemp -d) && \
	$(PYTHON) -m pip wheel --quiet --no-deps --wheel-dir "$$wheels" . && \
	$(PYTHON) -m pip install --quiet --target "$(ARTIFACTS_DIR)" --platform $(LAMBDA_PLATFORM) \
		--implementation cp --python-version 3.11 --only-binary=:all: "$$(ls "$$wheels"/*.whl)[aws]" && \
	rm -rf "$$wheels"

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
