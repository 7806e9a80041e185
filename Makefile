# Set-up and checks for StepDesk. Each target installs what it needs.
#   make demo                 run the app on the embedded demo database
#   make test                 run the test suite offscreen
#   make lint                 ruff and mypy (strict)
#   make package              build dist/onedir/StepDesk/ (stepdesk, stepdesk-cli)
#   make package ONEFILE=1    build dist/onefile/stepdesk and dist/onefile/stepdesk-cli
#   make smoke [ONEFILE=1]    self-test the built executables twice on a temporary home
#   make bench                time the start-up from source, onedir and onefile

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages: Qt's shared-library needs, the xcb platform for a real
# screen, and oathtool, which a test uses as an independent TOTP generator.
QT_LIBS := libegl1 libgl1 libglib2.0-0 libfontconfig1 libxkbcommon0 libdbus-1-3
XCB_LIBS := libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 \
	libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0
TEST_TOOLS := oathtool postgresql
# PyInstaller reads shared libraries with objdump.
PACKAGE_TOOLS := binutils

PACKAGE_STAMP := $(VENV)/.installed-package
PACKAGE_MODE := $(if $(ONEFILE),onefile,onedir)

.PHONY: demo test lint check system-test system-run system-package package smoke bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(PACKAGE_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,package]'
	touch $(PACKAGE_STAMP)

system-run:
	@./.ci/apt-ensure $(QT_LIBS) $(XCB_LIBS)

system-test:
	@./.ci/apt-ensure $(QT_LIBS) $(TEST_TOOLS)

system-package:
	@./.ci/apt-ensure $(QT_LIBS) $(PACKAGE_TOOLS)

demo: system-run $(STAMP)
	$(PY) -m desktop --demo

test: system-test $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check desktop tests
	$(PY) -m mypy

check: lint test

package: system-package $(PACKAGE_STAMP)
	$(PY) -m PyInstaller --noconfirm --log-level WARN \
		--distpath dist/$(PACKAGE_MODE) --workpath build/$(PACKAGE_MODE) \
		build.spec $(if $(ONEFILE),-- --onefile)

smoke: system-package
	$(PY) -m tests.package_smoke $(PACKAGE_MODE)

bench: system-package $(STAMP)
	$(PY) -m tests.benchmark_startup

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
