# shardgate: the two commands are `make run` and `make test`; everything else is a helper.
BUILD        ?= build
BUILD_ASAN   ?= build-asan
JOBS         ?= $(shell nproc)
CMAKE_FLAGS  ?=
CTEST        := ./tools/run-tests.sh $(BUILD)

.PHONY: all deps configure build test test-unit test-integration test-asan run start stop \
        bench format format-check clean help

all: build

help:
	@echo "make run               start the local stack in the foreground (Ctrl-C stops it)"
	@echo "make start | stop      the same stack in the background"
	@echo "make test              install what is missing, check formatting, build, run every test"
	@echo "make test-unit         unit and Lua tests only (seconds)"
	@echo "make test-integration  integration tests only (real HAProxy/PostgreSQL)"
	@echo "make test-asan         unit tests under ASan+UBSan"
	@echo "make bench             benchmarks (print figures and ratios; never fail on timing)"
	@echo "make format            format every tracked *.cc/*.h with .clang-format"
	@echo "make format-check      list the *.cc/*.h files that differ from .clang-format"

deps:
	@./tools/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# The formatting check comes first: it takes seconds, the build and tests take minutes.
test: format-check build
	$(CTEST) --timeout 900

test-unit: build
	$(CTEST) -L 'unit|lua'

test-integration: build
	$(CTEST) -L integration

test-asan: deps
	cmake -S . -B $(BUILD_ASAN) -DSHARDGATE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS)
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	./tools/run-tests.sh $(BUILD_ASAN) -L 'unit|lua'

run: build
	$(BUILD)/dev/stack/shardgate-devstack run

start: build
	$(BUILD)/dev/stack/shardgate-devstack start

stop:
	@if [ -x $(BUILD)/dev/stack/shardgate-devstack ]; then \
	  $(BUILD)/dev/stack/shardgate-devstack stop; else echo "nothing built, nothing running"; fi

bench: build
	./bench/run.sh $(BUILD)

format: deps
	./tools/format.sh

format-check: deps
	@./tools/format.sh --check

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
