# Two commands on a fresh machine with Python 3.11+ and make:  make report  and  make test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MODEL ?= data/kitakyushu-juki-r3
OUT ?= build/kitakyushu-juki-r3
# the bundled example city's portfolio (city report: about 3 s of CPU) is written beside the model's briefing
CITY ?= data/example-city
CITY_OUT ?= build/example-city
# the committee's day the city's dates are judged on: fixed, so the pack is the same bytes on every day
CITY_DAY ?= 2025-10-01
LANG_OUT ?= ja
# Same string hashing in every process (and in the notebook kernels they start), so set order never varies.
export PYTHONHASHSEED := 0

.PHONY: install report test lab notebooks bench doc-images clean

install: $(STAMP)

# constraints.txt pins the versions the committed notebook outputs were produced with. The library alone is
# `pip install .`; the extras add JupyterLab and the widgets (notebooks), the test tools (test) and Dask (dask:
# `make test` runs the many-cities runner on a local Dask cluster).
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test,notebooks,dask]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

report: install
	$(BIN)/pia-analysis report $(MODEL) --out $(OUT) --lang $(LANG_OUT)
	$(BIN)/pia-analysis city report $(CITY) --out $(CITY_OUT) --lang $(LANG_OUT) --today $(CITY_DAY) --force

test: install
	$(BIN)/python -m pytest

lab: install
	$(BIN)/jupyter lab notebooks/

# Re-execute every notebook top to bottom and store its outputs (commit the result).
notebooks: install
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.kernel_name=python3 \
		--ExecutePreprocessor.record_timing=False --ExecutePreprocessor.store_widget_state=False notebooks/*.ipynb

# Redraw the images of docs/charts.md and the README (pages of real packs; commit the result).
doc-images: install
	$(BIN)/python scripts/doc_images.py docs/images

bench: install
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf build .pytest_cache
