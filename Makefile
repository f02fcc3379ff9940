# Two commands do everything: `make paper` and `make test`. Both create .venv from the
# pinned lock file the first time (and again whenever the lock changes).
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
READY := $(VENV)/.ready
CORES ?= 2
# Where the jobs run: profiles/<PROFILE>/ (default: this machine; slurm; kubernetes).
PROFILE ?= default
export PATH := $(BIN):$(PATH)

.PHONY: paper test lint lock clean cluster-test

paper: $(READY)
	snakemake --workflow-profile profiles/$(PROFILE) --cores $(CORES) --rerun-incomplete </dev/null

# Starts the single-node SLURM of cluster/slurm-local.sh (root; installs it with apt-get if
# absent) and runs the tests that build the flagship through SLURM jobs (a few minutes).
cluster-test: $(READY)
	command -v slurmctld >/dev/null || cluster/slurm-local.sh install
	cluster/slurm-local.sh up
	pytest -m slow tests/test_cluster.py </dev/null

test: $(READY)
	pytest

lint: $(READY)
	ruff check .
	ruff format --check .
	snakefmt --check Snakefile rules
	snakemake --lint

$(READY): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "reviewflow needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

# Re-pin every dependency after editing requirements.in (needs uv: pip install uv).
lock:
	uv pip compile requirements.in --universal --python-version 3.11 --generate-hashes -o requirements.lock

clean:
	find data/processed -mindepth 1 ! -name README.md -delete; rm -rf manuscript/_output .snakemake logs
