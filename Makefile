# ibd-dtt: the two commands a new user needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Running needs the package only; testing adds pytest, ruff and the Spark/PostgreSQL extras.
RUN    := $(VENV)/.installed-run
DEV    := $(VENV)/.installed-dev

.PHONY: demo demo-network test lint docs bench bench-omop clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3

$(RUN): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN)

$(DEV): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(DEV) $(RUN)

EXAMPLE := examples/paper_cohort

## demo: create .venv, install, and run the full analysis and report on the (synthetic) example
demo: $(RUN)
	$(BIN)/ibd-dtt report $(EXAMPLE) --definitions paper --missing as-observed --missing nri --percent-decimals 2 --out out/demo
	@echo
	@echo "Example cohort (synthetic data) analysed. Open out/demo/report.html in a browser"
	@echo "(out/demo/report.pdf to print, when Chromium is installed); tables in"
	@echo "out/demo/tables.xlsx and tables.docx. Docs: docs/report.md"

NETWORK := out/network

## demo-network: a synthetic 3-site network study: each site shares an aggregate package, the coordinator pools them
demo-network: $(RUN)
	$(BIN)/ibd-dtt synth --out $(NETWORK)/sites --patients 450 --centers 3 --split-centers
	for site in 1 2 3; do \
	  $(BIN)/ibd-dtt share $(NETWORK)/sites/center-$$site --site "Center $$site" \
	    --missing as-observed --missing nri --out $(NETWORK)/packages/center-$$site.zip || exit 1; \
	done
	$(BIN)/ibd-dtt pool $(NETWORK)/packages/center-1.zip $(NETWORK)/packages/center-2.zip \
	  $(NETWORK)/packages/center-3.zip --out $(NETWORK)/pooled
	@echo
	@echo "Synthetic network study: what each site would send is in $(NETWORK)/packages/"
	@echo "(open center-1.summary.html to see what a data-protection officer approves); the"
	@echo "pooled report is $(NETWORK)/pooled/report.html. Docs: docs/network.md"

## test: create .venv, install, and run the test suite
test: $(DEV)
	$(BIN)/python -m pytest

## lint: ruff over the package, tests and tools
lint: $(DEV)
	$(BIN)/ruff check src tests tools benchmarks
	$(BIN)/ruff format --check src tests tools benchmarks

## bench: time synth -> validate -> outcomes -> report at 18, 1 000 and 10 000 patients
bench: $(RUN)
	$(BIN)/python benchmarks/bench_registry.py --sizes 18 1000 10000

## bench-omop: OMOP episode detection at 100 000, 300 000 and 1 000 000 persons vs DuckDB read+sort
bench-omop: $(RUN)
	$(BIN)/python benchmarks/bench_omop.py --persons 100000 300000 1000000

## docs: regenerate docs/data-contract.md and the REDCap project in redcap/ from the contract in code
docs: $(RUN)
	$(BIN)/python tools/write_contract_doc.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache out
