# Two commands for a new machine with Python 3.11 and Node.js/npm:
#   make run   – set everything up, load the register and demo data, serve on http://127.0.0.1:5000
#   make test  – ruff, mypy and the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
KERN   := omk/static/kern
export OMK_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: run test setup assets translations translations-update lint typecheck clean demo-data bench \
	bench-pages bench-publish system-deps wheel-check

$(BIN)/omk: setup.cfg pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV) || { echo "Python-venv fehlt: sudo apt-get install python3-venv"; exit 1; }
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,postgres,server]'
	touch $(BIN)/omk

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# KERN-UX's files, and the four Fira Sans faces OMK loads reduced to Latin as "OMK Sans"
# (tools/subset_fonts.py: 126-144 KB → 32-36 KB per face; licence copied beside them).
$(KERN)/kern.min.css: node_modules/.package-lock.json $(BIN)/omk tools/subset_fonts.py
	rm -rf $(KERN) && mkdir -p $(KERN)
	cp -R node_modules/@kern-ux/native/dist/. $(KERN)/
	$(BIN)/python tools/subset_fonts.py $(KERN)/fonts/fira-sans $(KERN)/fonts/omk-sans

assets: $(KERN)/kern.min.css

translations: $(BIN)/omk
	$(BIN)/pybabel compile --use-fuzzy -d omk/translations -f

# After changing texts in templates or code: collect the German msgids into messages.pot and
# merge them into every language's messages.po (then translate the new/fuzzy entries).
translations-update: $(BIN)/omk
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k msg --no-location --sort-output \
		--project OMK --version 0.1.0 -o omk/translations/messages.pot .
	$(BIN)/pybabel update -i omk/translations/messages.pot -d omk/translations --ignore-obsolete \
		--width=100

setup: $(BIN)/omk assets translations

demo-data: setup
	OMK_DEBUG=1 OMK_LOG_LEVEL=WARNING $(BIN)/omk db upgrade
	OMK_DEBUG=1 OMK_LOG_LEVEL=WARNING $(BIN)/omk municipalities import --shipped
	OMK_DEBUG=1 $(BIN)/omk search init
	OMK_DEBUG=1 OMK_LOG_LEVEL=WARNING $(BIN)/omk demo

run: demo-data
	@echo ""
	@echo "OMK läuft auf http://127.0.0.1:5000 (Entwicklungsmodus, Strg+C beendet)."
	OMK_DEBUG=1 $(BIN)/omk run --host 127.0.0.1 --port 5000

lint: $(BIN)/omk
	$(BIN)/ruff check .
	$(BIN)/ruff format --check omk tests

typecheck: $(BIN)/omk
	$(BIN)/mypy

# Chromium and WeasyPrint's libraries: installed with apt-get as root, else one line saying how.
system-deps:
	@tools/ensure-system-deps $(if $(findstring not browser,$(PYTEST_ARGS)),--no-browser)

test: system-deps setup lint typecheck
	$(BIN)/pytest $(PYTEST_ARGS)

# Build the wheel, install it into a fresh venv and run db upgrade, register import and demo
# from another folder (what CI does after the tests).
wheel-check: setup
	.ci/wheel-check

bench: setup
	$(BIN)/python -m tests.benchmarks.register_import
	$(BIN)/python -m tests.benchmarks.largest_workbook

# Requests/s and p95 of the main pages beside a bare Flask + SQLAlchemy page, served by
# gunicorn on loopback (2 workers, 8 clients), CPU per request in-process, and the first-visit
# weight in headless Chromium.
# Needs the demo data; the secret key is a throwaway one for this run.
bench-pages: demo-data
	OMK_SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(32))') \
	OMK_EMBEDDINGS=off $(BIN)/python -m tests.benchmarks.pages
	OMK_SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(32))') \
	$(BIN)/python -m tests.benchmarks.page_cpu
	OMK_SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(32))') \
	OMK_EMBEDDINGS=off $(BIN)/python -m tests.benchmarks.first_visit

# A dozen reports accepted at once through gunicorn (4 workers, SQLite) beside the same ones
# accepted one after another: latency, outbox emptied after, worker timeouts, verify. Works on
# copies of the demo's instance folder.
bench-publish: demo-data
	$(BIN)/python -m tests.benchmarks.publish_load

clean:
	rm -rf $(VENV) node_modules $(KERN) instance .pytest_cache .mypy_cache .ruff_cache
