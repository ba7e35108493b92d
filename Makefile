# Mirsad: `make demo` runs the whole pipeline once through Airflow over examples/inbox; `make test` checks it.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# the fastest-built python3.11 on this machine (see scripts/pick_python.sh); override with PYTHON=...
PYTHON ?= $(shell bash scripts/pick_python.sh)
VENV ?= .venv
BIN := $(VENV)/bin
# Rebuilt when pyproject.toml changes (or the stamp is removed); otherwise `make venv` does nothing.
STAMP := $(VENV)/.mirsad-installed
TORCH_VERSION ?= 2.13.0
# the modules mypyc compiles (extractors/compiled.py): rebuilt by `make compile` when one changes
COMPILE_STAMP := $(VENV)/.mirsad-compiled
COMPILED_SRC := extractors/compiled.py $(shell sed -n '/^COMPILED = (/,/^)/p' extractors/compiled.py | grep -o '"[a-z_.]*"' | sed 's/"//g; s|\.|/|g; s|.*|extractors/&.py|')

INBOX ?= $(CURDIR)/examples/inbox
DATA_DIR ?= $(CURDIR)/data
DOCS_PORT ?= 8081
REPORT_PORT ?= 8082
BENCH_ARTICLES ?= 20000
PYTEST_ARGS ?=
# .ci/run sets this to 1: pytest's exit code 5 (no tests collected) is then reported, not fatal.
ALLOW_NO_TESTS ?= 0

export MIRSAD_INBOX := $(INBOX)
export MIRSAD_DATA_DIR := $(DATA_DIR)

.PHONY: help venv compile demo airflow-init airflow-ui test check lint docs report bench clean distclean

help:
	@echo "make demo       run mirsad_ingest + mirsad_warehouse once (Airflow, SQLite) over $(INBOX), print a summary"
	@echo "make test       ruff + import contracts + the whole pytest suite (unit, dbt, Airflow, browser)"
	@echo "make check      the edit loop: ruff + import contracts + the fast tests (no dbt/Airflow/browser), < 1 min"
	@echo "make report     serve the report of the last build on http://127.0.0.1:$(REPORT_PORT) (or open it from disk)"
	@echo "make docs       serve the dbt docs of the last build on http://127.0.0.1:$(DOCS_PORT)"
	@echo "make airflow-ui airflow standalone (web UI on http://localhost:8080) with the repo's DAGs"
	@echo "make lint | bench | venv | compile | clean | distclean"

venv: $(STAMP)

# torch first, pinned: camel-tools pulls it in, and an unpinned resolve would fetch a multi-GB CUDA build.
$(STAMP): pyproject.toml setup.py
	@echo "mirsad: setting up $(VENV) (first time: about 3-5 minutes; later runs skip this step)"
	@test -x $(BIN)/python || { echo "  - creating the virtualenv with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@echo "  - installing torch $(TORCH_VERSION) (CPU build; camel-tools needs it)"
	@$(BIN)/python -m pip install --quiet "torch==$(TORCH_VERSION)"
	@echo "  - installing mirsad with Airflow 3.3, dbt 1.11, DuckDB, camel-tools, plotly; compiling the extraction modules with mypyc (about a minute)"
	@$(BIN)/python -m pip install --quiet -e '.[dev]'
	@echo "  - done: $(VENV) is ready"
	@touch $@ $(COMPILE_STAMP)

# The install compiles the extraction hot path with mypyc (setup.py; MIRSAD_COMPILE=0 skips it). After an edit
# to one of those modules the package runs its pure-Python sources (extractors/compiled.py) until this rebuilds.
compile: $(COMPILE_STAMP)

$(COMPILE_STAMP): $(COMPILED_SRC) | $(STAMP)
	@# the venv step may just have compiled (and touched this stamp): build only if a source is still newer
	@if [ ! -f $@ ] || [ -n "$$(find $(COMPILED_SRC) -newer $@)" ]; then \
	  echo "$(BIN)/python -m pip install --quiet --no-deps -e .  (mypyc: compiling the extraction modules)"; \
	  $(BIN)/python -m pip install --quiet --no-deps -e .; fi
	@touch $@

airflow-init: venv
	@bash scripts/airflow_local.sh init

demo: venv
	@echo "mirsad: running mirsad_ingest then mirsad_warehouse once with Airflow over $(INBOX)"
	@bash scripts/airflow_local.sh demo
	@$(BIN)/python scripts/demo.py

airflow-ui: venv
	bash scripts/airflow_local.sh standalone

lint: venv
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# The edit loop: what `make test` runs minus the tests marked slow (dbt builds, Airflow, the browser); a stale
# compiled build is not rebuilt here (the sources run instead, with a warning).
check: venv
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest -q -m "not slow" $(PYTEST_ARGS)

test: lint compile
	@rc=0; $(BIN)/pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ] && [ "$(ALLOW_NO_TESTS)" = 1 ]; then \
	  echo "pytest collected no tests (exit 5): nothing was tested"; rc=0; fi; \
	exit $$rc

docs: venv
	@test -f $(DATA_DIR)/docs/index.html || { echo "no dbt docs at $(DATA_DIR)/docs/index.html: run 'make demo' first"; exit 1; }
	@echo "dbt docs on http://127.0.0.1:$(DOCS_PORT)/ (Ctrl-C to stop)"
	$(BIN)/python -m http.server $(DOCS_PORT) --bind 127.0.0.1 --directory $(DATA_DIR)/docs

report: venv
	@test -f $(DATA_DIR)/report/index.html || { echo "no report at $(DATA_DIR)/report/index.html: run 'make demo' (or 'mirsad report') first"; exit 1; }
	@echo "the report opens from disk too: file://$(DATA_DIR)/report/index.html"
	@echo "serving it on http://127.0.0.1:$(REPORT_PORT)/ (Ctrl-C to stop)"
	$(BIN)/python -m http.server $(REPORT_PORT) --bind 127.0.0.1 --directory $(DATA_DIR)/report

bench: venv
	$(BIN)/mirsad bench --articles $(BENCH_ARTICLES)

clean:
	rm -rf data .airflow dbt_project/target dbt_project/logs logs .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) build extractors/compiled_from.json
	find extractors -name '*.so' -delete
