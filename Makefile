# Entry points for users and CI. See README.md.
SHELL := /bin/bash
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
ARGS ?=

# Debian 12 packages the build, the tests and `make run` need.
APT_PACKAGES := g++ make cmake pkg-config ccache curl \
  librocksdb-dev libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev \
  libflatbuffers-dev flatbuffers-compiler libhiredis-dev libpqxx-dev \
  libspdlog-dev libfmt-dev libcli11-dev libssl-dev openssl libgtest-dev libbenchmark-dev \
  postgresql postgresql-client redis-server redis-tools \
  libnats-dev nats-server

.PHONY: deps deps-fuzz deps-browser configure build build-programs run cluster test test-sanitize fuzz screenshots clean help

help:
	@echo "make run    install what is missing, build the server and tools, start PostgreSQL and Redis (under .local/) and oee-server on 127.0.0.1:3000"
	@echo "make test   install what is missing, build everything, run the whole test suite and a chaos run"
	@echo "make cluster   3 NATS JetStream servers, PostgreSQL, Redis, 2 oee nodes and a gateway on loopback (data under .local/cluster/), Ctrl-C stops all"
	@echo "make test-sanitize   part of the suite and a chaos run built with AddressSanitizer and UBSan (build-sanitize/; SANITIZE_PART=all: the whole suite)"
	@echo "make fuzz   build the libFuzzer targets with clang (build-fuzz/) and run each for FUZZ_SECONDS (180)"
	@echo "make screenshots   retake the README's dashboard screenshots (docs/images/) with the browser test"
	@echo "make deps | build (everything) | build-programs (what make run runs) | clean"

# Installs only missing packages; refreshes the package lists only when an
# install fails without them (a fresh machine has none).
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
	  echo "installing:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$sudo apt-get install -y -q --no-install-recommends $$missing || \
	    { $$sudo apt-get update -q && $$sudo apt-get install -y -q --no-install-recommends $$missing; }; \
	fi

# clang and its fuzzer runtime, for `make fuzz` only.
FUZZ_PACKAGES := clang libclang-rt-14-dev
deps-fuzz: deps
	@$(MAKE) --no-print-directory deps APT_PACKAGES="$(FUZZ_PACKAGES)"

# The browser test: Debian's chromium, Node.js with npm (any that is already
# there will do), and playwright-core pinned in tests/browser/package-lock.json.
deps-browser: deps
	@$(MAKE) --no-print-directory deps APT_PACKAGES="chromium"
	@command -v node >/dev/null || $(MAKE) --no-print-directory deps APT_PACKAGES="nodejs"
	@command -v npm >/dev/null || $(MAKE) --no-print-directory deps APT_PACKAGES="npm"
	@if ! cmp -s tests/browser/package-lock.json tests/browser/node_modules/.installed-lock.json; then \
	  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error && \
	  cp tests/browser/package-lock.json tests/browser/node_modules/.installed-lock.json; \
	fi

configure: deps
	@if [ ! -f $(BUILD_DIR)/CMakeCache.txt ]; then \
	  cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE); \
	fi

# Everything: the programs, the tests, the benchmarks.
build: configure
	cmake --build $(BUILD_DIR) -j$(JOBS)

# What `make run` and `make cluster` run: oee-server and the tools the
# README names (the CMake target `programs`), not the tests.
build-programs: configure
	cmake --build $(BUILD_DIR) --target programs -j$(JOBS)

# Starts a local PostgreSQL under .local/ unless DATABASE_URL is set.
run: build-programs
	tools/run_local.sh $(BUILD_DIR) $(ARGS)

# Three nats-server processes and two oee nodes on loopback (docs/SCALING.md).
cluster: build-programs
	tools/run_cluster.sh $(BUILD_DIR) $(ARGS)

# The suite, then a seeded chaos run of a two-node cluster (docs/testing.md),
# alone: under the suite's parallel load the NATS servers answer too slowly
# for the run's killed nodes to start again in time.
CHAOS_SECONDS ?= 180
# One test more than cores: the suite spends most of its time waiting (on
# servers starting, leases, deadlines), not computing.
TEST_JOBS ?= $(shell echo $$(( $(JOBS) + 1 )))
test: deps-browser build
	tools/run_ctest.sh $(BUILD_DIR) -j$(TEST_JOBS) --output-on-failure --timeout 600
	$(BUILD_DIR)/bin/oee-chaos --duration $(CHAOS_SECONDS)

# The README's dashboard screenshots, taken by the browser test.
screenshots: deps-browser build
	node tests/browser/dashboard_test.mjs $(BUILD_DIR)/bin/oee-server $(BUILD_DIR)/bin/oee-loadgen docs/images

# AddressSanitizer + UndefinedBehaviorSanitizer in their own build directory
# (-Og, line tables only: enough for their reports; -O1 takes twice as long
# to compile), over a part of the suite that fits CI (docs/testing.md): every
# unit and integration test, the e2e suites that feed the server hostile
# input, and a chaos run of a two-node cluster. SANITIZE_PART=all runs the
# whole suite instead. Only what the tests run is built (no benchmarks).
SANITIZE_DIR ?= build-sanitize
SANITIZE_PART ?= ci
SANITIZE_E2E ?= ^(BadInput|Edge|Stream|WsSubmit|Tls|Auth|Clients|AllOrdersStream|Crash|Backpressure)\.
SANITIZE_CHAOS_SECONDS ?= 90
SANITIZE_TARGETS := oee_unit_tests oee_integration_tests oee_e2e_tests oee-chaos
SANITIZE_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp
test-sanitize: deps-browser
	cmake -S . -B $(SANITIZE_DIR) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g1 -Og" -DOEE_SANITIZE=ON >/dev/null
	cmake --build $(SANITIZE_DIR) -j$(JOBS) --target $(SANITIZE_TARGETS)
ifeq ($(SANITIZE_PART),all)
	$(SANITIZE_ENV) tools/run_ctest.sh $(SANITIZE_DIR) -j$(JOBS) --output-on-failure --timeout 900
else
	$(SANITIZE_ENV) tools/run_ctest.sh $(SANITIZE_DIR) -j$(JOBS) --output-on-failure --timeout 900 -L 'unit|integration'
	$(SANITIZE_ENV) tools/run_ctest.sh $(SANITIZE_DIR) -j$(JOBS) --output-on-failure --timeout 900 -R '$(SANITIZE_E2E)'
	$(SANITIZE_ENV) $(SANITIZE_DIR)/bin/oee-chaos --server $(SANITIZE_DIR)/bin/oee-server \
	  --logdump $(SANITIZE_DIR)/bin/oee-logdump --settle 600 --duration $(SANITIZE_CHAOS_SECONDS)
endif

# libFuzzer targets (tests/fuzz/): the submit body, WebSocket messages,
# amounts, stored records and HTTP requests as the server reads them.
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 180
fuzz: deps-fuzz
	@if [ ! -f $(FUZZ_DIR)/CMakeCache.txt ]; then \
	  CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOEE_FUZZ=ON -DOEE_WERROR=OFF; \
	fi
	cmake --build $(FUZZ_DIR) -j$(JOBS)
	tools/run_fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR) $(FUZZ_DIR)
