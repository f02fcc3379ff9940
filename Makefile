# Two commands do everything: `make paper` and `make test`. Both create .venv from the
# pinned lock file the first time (and again whenever the lock changes).
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
READY := $(VENV)/.ready
CORES ?= 2
# The review to build: this repository's own (the flagship) unless REVIEW names another
# review's folder (one made by `reviewflow new`); the engine's workflow runs in it.
REVIEW ?= .
# Where the jobs run: profiles/<PROFILE>/ (default: this machine; slurm; kubernetes).
PROFILE ?= default
export PATH := $(BIN):$(PATH)

.PHONY: paper test lint lock clean cluster-test

# `reviewflow recover` first: after a killed build it removes the stale Snakemake lock (only
# when no Snakemake runs here) and partial files; --rerun-incomplete redoes unfinished jobs.
paper: $(READY)
	reviewflow recover --dir "$(REVIEW)"
	snakemake --workflow-profile profiles/$(PROFILE) --cores $(CORES) --rerun-incomplete \
	  --directory "$(REVIEW)" </dev/null

# Starts the single-node SLURM of cluster/slurm-local.sh (root; installs it with apt-get if
# absent) and runs the tests that build the flagship through SLURM jobs (a few minutes).
cluster-test: $(READY)
	command -v slurmctld >/dev/null || cluster/slurm-local.sh install
	cluster/slurm-local.sh up
	pytest -m slow tests/test_cluster.py </dev/null

# The tests run on every core (pytest-xdist); a module whose tests share a costly build runs
# on one worker (its xdist_group). TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= auto
test: $(READY)
	pytest -n $(TEST_WORKERS) --dist loadgroup

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

# Remove everything the build made for REVIEW (its raw data, notebooks and text stay).
clean:
	cd "$(REVIEW)" && { [ ! -d data/processed ] || find data/processed -mindepth 1 ! -name README.md -delete; } \
	  && rm -rf manuscript/_output manuscript/_figures manuscript/_reviewflow .snakemake logs
