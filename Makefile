# Brokerdeck: `make run` opens the app against the local broker sandbox; `make test` runs every check.
# Both set up everything they need on a fresh machine (virtual environment, Debian packages).

VENV        := .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
# Debian packages the test suite needs: a real Secret Service (gnome-keyring on a private D-Bus),
# the libraries Qt loads even when it renders offscreen, and the headless browser the OAuth tests drive.
TEST_DEBS   := gnome-keyring dbus-daemon libegl1 libgl1 libxkbcommon0 libfontconfig1 libglib2.0-0 fonts-dejavu-core chromium
# A real third-party OAuth server for the tests (panva's oidc-provider, run with Node), installed from its
# committed package-lock.json; the stamp lives inside node_modules, so deleting that folder reinstalls it.
PEER_DIR    := tests/peers/oidc_provider
PEER_STAMP  := $(PEER_DIR)/node_modules/.brokerdeck-installed
# `make package`: the Qt platform plugins' libraries (RUN_DEBS) are bundled from the build host; the smoke
# test needs the Secret Service and offscreen Qt; desktop-file-utils validates the menu entry; PyInstaller
# needs binutils (objdump, objcopy) to build on Linux.
PACKAGE_DEBS := gnome-keyring dbus-daemon libfontconfig1 libglib2.0-0 fonts-dejavu-core desktop-file-utils binutils
PACKAGE_STAMP := $(VENV)/.package-installed
RUN_DEBS    := libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libegl1 libgl1 libfontconfig1 gnome-keyring

.PHONY: run test bench screenshots package lint layering typecheck pytest venv peers debs-test debs-run debs-package clean

run: venv debs-run
	$(VENV)/bin/brokerdeck --sandbox

test: venv debs-test peers lint layering typecheck pytest

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $$(scripts/find-python) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[test]'
	@touch $@

# npm ci runs again only when the lock (or package.json) changed or node_modules is gone. Without npm,
# Debian's nodejs and npm are installed; oidc-provider 9 needs Node.js 20.18 or later.
peers: $(PEER_STAMP)

$(PEER_STAMP): $(PEER_DIR)/package.json $(PEER_DIR)/package-lock.json
	@command -v npm >/dev/null 2>&1 || scripts/ensure-debs nodejs npm
	cd $(PEER_DIR) && npm ci --no-audit --no-fund
	@touch $@

debs-test:
	@scripts/ensure-debs $(TEST_DEBS)

debs-run:
	@scripts/ensure-debs $(RUN_DEBS)

# The market-data benchmark (about 6 minutes with the 5-minute memory soak); see README "Performance".
bench: venv debs-test
	QT_QPA_PLATFORM=offscreen $(PY) -m tests.bench.run $(BENCH_ARGS)

# The PyInstaller one-folder build (build/package/), the tarball with install.sh (build/*.tar.gz) and the
# frozen smoke test on it; see README "Install from the tarball". Not part of `make test`.
package: $(PACKAGE_STAMP) debs-run debs-package
	PY=$(PY) packaging/build.sh

$(PACKAGE_STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $$(scripts/find-python) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[package]'
	@touch $@

debs-package:
	@scripts/ensure-debs $(PACKAGE_DEBS)

# The README's pictures of the main window (docs/screenshots/), taken under Xvfb with the sandbox connected.
screenshots: venv debs-test debs-run
	@scripts/ensure-debs xvfb xauth
	xvfb-run -a -s "-screen 0 1600x1000x24" scripts/with-secret-service $(PY) scripts/screenshots.py

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The architecture's import contracts (pyproject.toml [tool.importlinter]) and the no-Qt / no-I/O rules.
layering: venv
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -q -p no:cacheprovider tests/test_layering.py

typecheck: venv
	$(VENV)/bin/mypy

pytest: venv peers
	QT_QPA_PLATFORM=offscreen scripts/with-secret-service $(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache .mypy_cache $(PEER_DIR)/node_modules
