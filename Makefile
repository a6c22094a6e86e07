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
  libspdlog-dev libfmt-dev libcli11-dev libgtest-dev

.PHONY: deps configure build run test clean help

help:
	@echo "make run    install what is missing, build, start oee-server on 127.0.0.1:3000"
	@echo "make test   install what is missing, build, run the whole test suite"
	@echo "make deps | build | clean"

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

configure: deps
	@if [ ! -f $(BUILD_DIR)/CMakeCache.txt ]; then \
	  cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE); \
	fi

build: configure
	cmake --build $(BUILD_DIR) -j$(JOBS)

run: build
	$(BUILD_DIR)/bin/oee-server $(ARGS)

test: build
	cd $(BUILD_DIR) && ctest -j$(JOBS) --output-on-failure --timeout 600

clean:
	rm -rf $(BUILD_DIR)
