# The two commands a user needs: `make run` and `make test`. Each creates .venv with a
# Python >= 3.12 found on the machine (scripts/find-python) and installs what it needs.
VENV    := .venv
BIN     := $(VENV)/bin
OUT     ?= results

.PHONY: run test lint bench viz notebook clean help validate calibrate

help:
	@echo "make run    - install, run the default scenario and a quick sweep, write results to $(OUT)/"
	@echo "make test   - install dev extras, run ruff, mypy and the whole test suite"
	@echo "make bench  - benchmarks, under 10 minutes (writes benchmarks/results.md and .json)"
	@echo "make viz    - watch the model in the browser at http://127.0.0.1:8765/ (PORT=N to change)"
	@echo "make validate - re-run the checks of docs/VALIDATION.md into docs/validation/"
	@echo "make calibrate - the calibration to the record and its rolling-origin check (docs/calibration.md)"
	@echo "make notebook - JupyterLab on notebooks/ with the project's kernel (.venv)"
	@echo "make notebook-clear - clear outputs of notebooks/*.ipynb before committing them"

# uv (from PyPI, into the venv) resolves and installs the same packages as pip in about a tenth
# of the time (23 s against minutes from a cold cache, measured 3 December 2026); where it cannot
# be installed, pip does the work.
$(BIN)/python:
	@py=$$(sh scripts/find-python) || exit 1; echo "creating $(VENV) with $$py"; "$$py" -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q uv 2>/dev/null || echo "uv not installed: installing with pip"
PIP_INSTALL = if [ -x $(BIN)/uv ]; then $(BIN)/uv pip install -q --python $(BIN)/python $(1); \
	else $(BIN)/python -m pip install -q $(1); fi

# Stamps re-run the install when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(call PIP_INSTALL,-e .)
	@touch $@

# The dev install also registers the notebooks' kernel "escalation-sim" inside .venv, so
# `.venv/bin/jupyter-execute notebooks/*.ipynb` (headless, no `make notebook`) finds it.
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(call PIP_INSTALL,-e ".[dev]")
	$(BIN)/python -m ipykernel install --sys-prefix --name escalation-sim \
		--display-name "Python (escalation-sim)" > /dev/null
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/escalation-sim run --out $(OUT)/default
	$(BIN)/escalation-sim sweep experiments/border_x_collapse.toml --seeds 6 --out $(OUT)/border_x_collapse

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/ruff check notebooks
	$(BIN)/ruff format --check notebooks
	$(BIN)/mypy

# -v: each test's name as it runs (tests/conftest.py announces the slow notebook and browser
# tests); --durations: the ten slowest at the end. -n: the test files are shared among
# TEST_WORKERS processes (pytest-xdist; whole files, so a file's cached runs are made once);
# TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= 2
test: lint
	$(BIN)/python -m pytest -v --durations=10 -n $(TEST_WORKERS) --dist loadfile

# Each benchmark writes its JSON into benchmarks/out/; results.py gathers them into
# benchmarks/results.md (tables, ratios, the aims) and benchmarks/results.json. About 20
# minutes on 2 cores (20 and 26 minutes measured on 2 and 3 December 2026).
BENCH   := benchmarks/out
bench: $(VENV)/.installed-dev
	@mkdir -p $(BENCH) && date +%s > $(BENCH)/started
	$(BIN)/python benchmarks/bench_model.py $(BENCH)/model_speed.json --repeats 5 > /dev/null
	$(BIN)/python benchmarks/bench_scaling.py $(BENCH)/scaling.json > /dev/null
	$(BIN)/python benchmarks/bench_throughput.py $(BENCH)/throughput.json > /dev/null
	$(BIN)/python benchmarks/bench_sweep.py $(BENCH)/sweep_speed.json > /dev/null
	$(BIN)/python benchmarks/bench_viz.py $(BENCH)/viz_speed.json > /dev/null
	$(BIN)/python benchmarks/bench_cli.py $(BENCH)/cli_start.json > /dev/null
	$(BIN)/python benchmarks/bench_lean.py $(BENCH)/lean.json > /dev/null
	$(BIN)/python benchmarks/bench_ema.py $(BENCH)/ema.json --seeds 8 > /dev/null 2>&1
	$(BIN)/python benchmarks/results.py $(BENCH) benchmarks/results.md benchmarks/results.json

# The browser view on http://127.0.0.1:$(PORT)/ (Ctrl+C stops it).
PORT    ?= 8765
viz: $(VENV)/.installed
	$(BIN)/escalation-sim viz --port $(PORT)

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache

# The validation checks of docs/VALIDATION.md, written where the document expects them.
validate: $(VENV)/.installed
	$(BIN)/escalation-sim validate epstein --arrest-rule literal --seed 0 --ticks 500 --out docs/validation/epstein_literal
	$(BIN)/escalation-sim validate epstein --arrest-rule floor --seed 0 --ticks 500 --out docs/validation/epstein_floor
	$(BIN)/escalation-sim validate hindcast --seeds 20 --seed 0 --out docs/validation/hindcast
	$(BIN)/escalation-sim validate tails --seeds 50 --seed 0 --out docs/validation/tails
	$(BIN)/escalation-sim validate forecast --seeds 20 --seed 0 --out docs/validation/forecast --write-validation docs/VALIDATION.md
	$(BIN)/escalation-sim sweep experiments/sensitivity.toml --out results/sensitivity --quiet
	mkdir -p docs/validation/sensitivity
	cp results/sensitivity/indices.csv results/sensitivity/figures/sobol.png results/sensitivity/figures/morris.png docs/validation/sensitivity/

# JupyterLab from .venv, on the repository with the first notebook open. The kernel
# "escalation-sim" (this .venv's Python, which the notebooks name) is registered inside .venv, and
# JUPYTER_PATH puts .venv's kernels first, so another Jupyter's kernel of that name cannot win.
# JUPYTER_ARGS="--no-browser --port 8899" passes options through; Ctrl+C stops the server.
# Jupyter refuses to run as root without --allow-root; machines here run as root.
JUPYTER_ARGS ?=
notebook: $(VENV)/.installed-jupyter
	JUPYTER_PATH=$(CURDIR)/$(VENV)/share/jupyter $(BIN)/jupyter lab \
		--ServerApp.root_dir=$(CURDIR) $$([ "$$(id -u)" = 0 ] && echo --allow-root) \
		notebooks/01_quickstart.ipynb $(JUPYTER_ARGS)

$(VENV)/.installed-jupyter: pyproject.toml | $(BIN)/python
	$(call PIP_INSTALL,-e ".[dev,jupyter]")
	$(BIN)/python -m ipykernel install --sys-prefix --name escalation-sim \
		--display-name "Python (escalation-sim)"
	@touch $@ $(VENV)/.installed-dev $(VENV)/.installed

# Notebooks are committed without outputs (tests/test_notebooks.py checks it).
.PHONY: notebook-clear
notebook-clear: $(VENV)/.installed-dev
	$(BIN)/python scripts/clear_notebooks.py notebooks/*.ipynb

# The calibration of docs/calibration.md: the rolling-origin check (fit to 2013-2019, predict and
# score 2020 to 26 November 2024), then the calibration to the whole record before the model's
# start. Each resumes where it stopped if interrupted (run it again). About 25 minutes in all on 2
# idle cores (docs/calibration.md, "Run time").
$(VENV)/.installed-calibrate: pyproject.toml | $(BIN)/python
	$(call PIP_INSTALL,-e ".[calibrate]")
	@touch $@ $(VENV)/.installed

calibrate: $(VENV)/.installed-calibrate
	$(BIN)/escalation-sim calibrate experiments/calibrate_hindcast.toml --until 2019-12-31 \
		--holdout-until 2024-11-26 --out $(OUT)/calibrate_hindcast_2019
	$(BIN)/escalation-sim calibrate experiments/calibrate_hindcast.toml --out $(OUT)/calibrate_hindcast
