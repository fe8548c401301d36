# Two commands: `make run` and `make test`. Both create .venv with the Python on PATH (3.11+).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# pytest-xdist workers for `make test`: one per CPU, at most 4 (each file runs whole on one worker)
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 4 ] && n=4; echo $$n)

.PHONY: run serve test install install-test demo data docs bench bench-app clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[app]"

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[app,test]"

## run: install everything and start the web app on the built-in Pakistan data (http://localhost:8501)
run: install
	GDAL_SKIP=OGR_VRT $(BIN)/streamlit run app.py

## serve: REPLICAS app processes (default 2) behind HAProxy on port PORT (default 8501): sticky sessions, health
##        checks, a lost process started again (webapp/serve.py; needs Debian's haproxy). Set SITEFINDER_DB to a
##        PostgreSQL URL for a shared register (docs: Deploying).
REPLICAS ?= 2
PORT ?= 8501
serve: install
	GDAL_SKIP=OGR_VRT $(BIN)/python -m webapp.serve --replicas $(REPLICAS) --port $(PORT)

## demo: rank sites from the command line for a 100 MW Bitcoin mine and a 100 MW AI data centre
demo: install
	$(BIN)/sitefinder rank --profile bitcoin_mine --mw 100 --top 20 --out out/bitcoin_mine_100mw.geojson --csv out/bitcoin_mine_100mw.csv
	$(BIN)/sitefinder rank --profile ai_datacenter --mw 100 --top 20 --out out/ai_datacenter_100mw.geojson --csv out/ai_datacenter_100mw.csv

## test: install everything, lint (ruff), type-check (mypy), check the import contracts, build the docs (a broken
##       link fails) and run the whole test suite (browser tests skip without /usr/bin/chromium;
##       SITEFINDER_REQUIRE_BROWSER=1, as in .ci/run, makes them fail instead; the register's PostgreSQL tests
##       skip without PostgreSQL's server programs, SITEFINDER_REQUIRE_POSTGRES=1 likewise). The files are shared
##       out over TEST_WORKERS processes (pytest-xdist); TEST_WORKERS=0 runs them in this one.
test: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/mkdocs build --strict --quiet --site-dir $(VENV)/site
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

## docs: serve the documentation at http://127.0.0.1:8000 (pages in docs/, mkdocs.yml); the pages made from the
##       code and data are rewritten first (docs/gen_reference.py)
docs: install-test
	$(BIN)/python docs/gen_reference.py
	$(BIN)/mkdocs serve

## data: rebuild data/pakistan from its fact tables
data: install
	$(BIN)/sitefinder build-data

## bench: speed figures against scikit-criteria / pymcdm on the same matrices, of the robustness draws against a
##        loop of ordinary rankings on the same draws, and at national scale (resolution 8); each script also writes
##        its table, with the date and the machine, to docs/performance/ (the docs' performance page includes them)
bench: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[app,test,bench]"
	$(BIN)/python benchmarks/bench_scoring.py --markdown docs/performance/scoring.md
	$(BIN)/python benchmarks/bench_robustness.py --voi --markdown docs/performance/robustness.md
	$(BIN)/python benchmarks/bench_national.py --resolution 8 --markdown docs/performance/national.md
	$(BIN)/python benchmarks/bench_network.py --markdown docs/performance/network.md
	$(BIN)/python benchmarks/bench_grid_model.py --markdown docs/performance/grid-model.md
	$(BIN)/python benchmarks/bench_register.py --markdown docs/performance/register.md

## bench-app: time the web app in headless Chromium (first map, update after a weight change, map payload), at the
##            default view and at resolution 8, and write the tables to docs/performance/app.md and app-res8.md
bench-app: install-test
	$(BIN)/python benchmarks/bench_app.py --repeat 7 --markdown docs/performance/app.md
	$(BIN)/python benchmarks/bench_app.py --repeat 7 --query res=8 --update-target 0.8 --markdown docs/performance/app-res8.md

clean:
	rm -rf $(VENV) out site .pytest_cache .hypothesis
