# Two commands from a fresh clone: `make run` (the app on the demo inbox) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Qt's xcb platform plugin needs these to open a real window on X11 (offscreen runs without);
# installed when missing, never assumed.
QT_SYSTEM_PACKAGES := libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 \
	libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0 \
	libxkbcommon0 libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0

.PHONY: run test system-deps venv bench clean model

run: system-deps $(STAMP)
	$(BIN)/triage-desk --demo

test: system-deps $(STAMP).test
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

system-deps:
	@missing=""; \
	if command -v dpkg-query >/dev/null 2>&1; then \
		for p in $(QT_SYSTEM_PACKAGES); do \
			dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
		done; \
	fi; \
	if [ -n "$$missing" ]; then \
		echo "Installing system packages Qt needs:$$missing"; \
		if [ "$$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Triage Desk needs Python 3.11 or newer" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP).test: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

bench: $(STAMP).test
	$(BIN)/python bench/ingest.py 20000

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

# Retrain the model shipped in the package from models/corpus (reproducible: fixed seed).
model: $(STAMP)
	$(BIN)/triage train --corpus models/corpus --out triage/data/default_model.skops
