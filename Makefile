# Configurator: every target installs what it needs, so `make run` and `make test` work on a
# fresh machine with Python 3.11, Node 20 and npm.
SHELL := /bin/bash
.DEFAULT_GOAL := help

BOOTSTRAP_PYTHON := $(shell command -v python3.11 || command -v python3)
VENV := .venv
PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
NODE_DIR := tests/node
NODE_INSTALLED := $(NODE_DIR)/node_modules/.installed
PYTEST_ARGS ?=
BENCH_ARGS ?=
EXTENSION_ARGS ?=

FRONTEND := frontend
FRONTEND_INSTALLED := $(FRONTEND)/node_modules/.installed
FRONTEND_BUILT := $(FRONTEND)/dist/index.html
FRONTEND_SOURCES := $(shell find $(FRONTEND)/src $(FRONTEND)/index.html $(FRONTEND)/vite.config.ts $(FRONTEND)/public -type f 2>/dev/null)

.PHONY: help install lock lint templates node-tools frontend chromium test test-fast test-image image-tools run bench extension clean

help:
	@echo "make run         install, build the sample templates, serve the API with Blender workers"
	@echo "make test        install everything, then lint and run the whole test suite"
	@echo "make test-fast   lint and the tests not marked slow (under a minute): the loop while you work"
	@echo "make test-image  build the production image with podman from debootstrap stand-ins and smoke-test it (root)"
	@echo "make lint        ruff on the Python tree, ESLint on the web app"
	@echo "make install     Python 3.11 virtualenv in $(VENV) with the locked dependencies (requirements.lock)"
	@echo "make lock        re-resolve requirements.lock from pyproject.toml (newest versions, with hashes)"
	@echo "make templates   build templates/*.blend from the scripts in templates/"
	@echo "make node-tools  Node tools the tests call (glTF validator, Azurite) into $(NODE_DIR)"
	@echo "make bench       run the benchmarks (BENCH_ARGS=--quick for a short run)"
	@echo "make extension   build the Blender extension, one archive per platform, into dist/ (EXTENSION_ARGS=--platform linux-x64)"
	@echo "make clean       remove build outputs (keeps $(VENV))"

install: $(INSTALLED)

# Re-runs only when the dependencies may have changed. Exact versions with hashes come from
# requirements.lock; the project itself is installed on top without resolving anything.
$(INSTALLED): pyproject.toml requirements.lock
	@test -n "$(BOOTSTRAP_PYTHON)" || { echo "Python 3.11 is required (python3.11 or python3)" >&2; exit 1; }
	@test -x $(PYTHON) || $(BOOTSTRAP_PYTHON) -m venv $(VENV)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
		{ echo "$(VENV) must use Python 3.11 (bpy 5.0.1 is built for it); remove it and install python3.11" >&2; exit 1; }
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

# After changing dependencies in pyproject.toml (or to take newer releases): make lock, then
# make install, run the tests, and commit both locks with the change. requirements.lock is
# what make installs (with the test tools); requirements-runtime.lock is what the image installs.
LOCK_OPTIONS := --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 --quiet
lock:
	@test -x $(PYTHON) || $(BOOTSTRAP_PYTHON) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra test $(LOCK_OPTIONS) -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml $(LOCK_OPTIONS) -o requirements-runtime.lock

templates: install
	$(PYTHON) templates/build_templates.py templates/

frontend: $(FRONTEND_BUILT)

$(FRONTEND_INSTALLED): $(FRONTEND)/package.json $(FRONTEND)/package-lock.json
	@command -v npm >/dev/null || { echo "npm is required (Node.js 20 or newer)" >&2; exit 1; }
	cd $(FRONTEND) && npm ci --no-audit --no-fund
	@touch $@

$(FRONTEND_BUILT): $(FRONTEND_INSTALLED) $(FRONTEND_SOURCES)
	cd $(FRONTEND) && npm run build

# The browser the end-to-end tests drive: Debian's Chromium (never a downloaded one).
chromium:
	@command -v chromium >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
		else echo "Chromium is required for the browser tests: sudo apt-get install chromium" >&2; exit 1; fi; }

node-tools: $(NODE_INSTALLED)

$(NODE_INSTALLED): $(NODE_DIR)/package.json $(wildcard $(NODE_DIR)/package-lock.json)
	@command -v npm >/dev/null || { echo "npm is required (Node.js 20 or newer)" >&2; exit 1; }
	cd $(NODE_DIR) && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
	@touch $@

lint: install $(FRONTEND_INSTALLED)
	$(PYTHON) -m ruff check .
	cd $(FRONTEND) && npm run --silent lint

# pytest exits 5 when it collected no tests; that fails the target like any other failure.
# The image test (`make test-image`: root, podman; 10-12 minutes from cold) runs last, once the
# rest has passed, where it can (root, or podman installed); IMAGE_TEST=0 leaves it out, as
# test-fast does. A -m in PYTEST_ARGS replaces "not image" (test-fast's "not slow" leaves it out too).
IMAGE_TEST ?= 1
test: lint templates node-tools frontend chromium
	cd $(FRONTEND) && npm test
	@$(PYTHON) -m pytest -q -m "not image" $(PYTEST_ARGS); status=$$?; \
		if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; fi; \
		exit $$status
	@if [ "$(IMAGE_TEST)" != 1 ]; then exit 0; \
	elif [ "$$(id -u)" = 0 ] || command -v podman >/dev/null; then $(MAKE) --no-print-directory test-image PYTEST_ARGS=; \
	else echo "the image test needs root or podman: it was left out (make test-image)" >&2; fi

test-fast: PYTEST_ARGS += -m "not slow"
test-fast: IMAGE_TEST = 0
test-fast: test

# What building and running the image needs (docs/container.md): podman with runc (crun fails
# on hybrid cgroups), debootstrap for the stand-in base images. Installed when root.
image-tools:
	@command -v podman >/dev/null && command -v runc >/dev/null && command -v debootstrap >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq podman runc debootstrap; \
		else echo "the image test needs root with podman, runc and debootstrap: sudo make test-image" >&2; exit 1; fi; }

# The production image built from this tree and run against a PostgreSQL and Azurite: /health,
# seeding, a job completed by a worker container, non-root processes, the HEALTHCHECK.
test-image: install node-tools image-tools
	$(PYTHON) -m pytest -q -m image tests/test_image.py $(PYTEST_ARGS)

# The API on $(PORT) (default 8000) with supervised Blender workers; with no DATABASE_URL an
# embedded PostgreSQL under var/, with no AZURE_STORAGE_CONNECTION_STRING blobs under var/blobs.
run: install templates frontend
	$(PYTHON) server_entry.py serve

bench: install templates
	@if [ -f bench/run_all.py ]; then $(PYTHON) bench/run_all.py $(BENCH_ARGS); \
	else echo "no benchmarks yet (bench/run_all.py)"; fi

# dist/configurator-<version>-<platform>.zip for each platform: the add-on, its dependencies as
# wheels from PyPI (downloaded once into var/wheels/), the docs it links to and the web app.
extension: install frontend
	$(PYTHON) tools/build_extension.py --webapp $(FRONTEND)/dist $(EXTENSION_ARGS)

clean:
	rm -rf dist build .pytest_cache *.egg-info $(NODE_DIR)/node_modules $(FRONTEND)/dist $(FRONTEND)/node_modules
	rm -f templates/*.blend templates/*.blend1
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
