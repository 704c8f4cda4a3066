# surge: one non-recursive Makefile for every part of the tree.
#
#   make          lib/ into a static library, every program into bin/
#   make test     installs missing packages, builds with address and
#                 undefined-behaviour sanitizers, runs every test
#   make run      installs missing packages, builds, runs the default scenario
#   make chaos    every scenario of scenarios/chaos/ (SEEDS="1 2 3" runs each
#                 with those seeds, CHAOS="kill9 network" picks scenarios);
#                 one line per run, non-zero when any fails
#   make bench    prints speed figures and ratios (never asserted in tests)
#   make deps     installs the missing Debian packages
#   make clean
#
# Two variants share the sources: release objects in build/rel/ (programs in
# bin/) and sanitizer objects in build/asan/ (programs in build/asan/bin/,
# which the end-to-end tests start). `make test T=name` runs one test or
# every test whose name starts with `name`.

MAKEFLAGS += --no-builtin-rules
# Where objects go; a second checkout or a helper may set its own.
BUILD ?= build
.SUFFIXES:

CC       ?= cc
PKGS     := libmicrohttpd libcurl libcjson sqlite3 libcrypto libpq
# Deferred on purpose: `make test` installs packages before these are read.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))

WARN     := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wwrite-strings -Werror
CPPFLAGS := -D_GNU_SOURCE -Ilib -Imocks/common -Iengine/core -Iengine/syncd -Iharness -Isim -MMD -MP
LDLIBS    = $(PKG_LIBS) -lpthread -lm

REL_CFLAGS  := -O2 -g
ASAN_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
               -fno-sanitize-recover=undefined
ASAN_LDFLAGS := -fsanitize=address,undefined

# ---- sources ---------------------------------------------------------------

LIB_SRCS := $(sort $(wildcard lib/*.c))

# Programs: NAME_SRCS lists the sources of bin/NAME beyond lib/. A program
# joins the build once its main.c exists.
MOCK_COMMON := mocks/common/mockd.c
mock-cin7_SRCS    := $(sort $(wildcard mocks/cin7/*.c)) $(MOCK_COMMON)
mock-shopify_SRCS := $(sort $(wildcard mocks/shopify/*.c)) $(MOCK_COMMON)
PROGRAMS := $(if $(wildcard mocks/cin7/main.c),mock-cin7) \
            $(if $(wildcard mocks/shopify/main.c),mock-shopify)

# The engine's decisions (pure functions): linked by syncd, the simulator
# and the tests.
ENGINE_CORE := $(sort $(wildcard engine/core/*.c))
syncd_SRCS  := $(sort $(wildcard engine/syncd/*.c)) $(ENGINE_CORE)
PROGRAMS    += $(if $(wildcard engine/syncd/main.c),syncd)
# The simulator (sim/) runs inside surge, with syncd's and the mocks' own
# config readers.
SIM_SRCS    := $(sort $(wildcard sim/*.c)) engine/syncd/config.c mocks/cin7/config.c \
               mocks/cin7/qty.c mocks/shopify/spec.c
surge_SRCS  := $(sort $(wildcard harness/*.c)) $(ENGINE_CORE) $(SIM_SRCS)
PROGRAMS    += $(if $(wildcard harness/main.c),surge)

# syncd modules that link without the rest of syncd, for unit tests.
SYNCD_PARTS := $(addprefix engine/syncd/,store.c store_sqlite.c store_postgres.c config.c gate.c metrics.c stockcache.c sorder.c c7event.c outbound.c \
                 handled.c xwrite.c)
# The rest of syncd but its main: the fuzz targets of its readers of Cin7
# and Shopify answers link them.
SYNCD_REST := $(filter-out engine/syncd/main.c $(SYNCD_PARTS),$(sort $(wildcard engine/syncd/*.c)))
# Harness modules that link without its main, for unit tests.
HARNESS_PARTS := $(filter-out harness/main.c,$(sort $(wildcard harness/*.c)))
# mock-shopify's pure parsers (GraphQL documents, configs), for their unit
# and fuzz tests; they call nothing of mockd.
SHOPIFY_PURE := mocks/shopify/gql.c mocks/shopify/spec.c mocks/shopify/search.c
# mock-cin7's config and seed parser and its order-line reader, which link
# with lib/ alone, for their fuzz targets.
CIN7_PURE := mocks/cin7/config.c mocks/cin7/qty.c mocks/cin7/lines.c
# The rest of both mocks but their mains: the fuzz targets of their request
# bodies' readers link them.
MOCKS_REST := $(MOCK_COMMON) \
              $(filter-out mocks/cin7/main.c $(CIN7_PURE),$(sort $(wildcard mocks/cin7/*.c))) \
              $(filter-out mocks/shopify/main.c $(SHOPIFY_PURE),$(sort $(wildcard mocks/shopify/*.c)))
# An in-process mock-shopify world for the fuzz targets and tests that run
# its GraphQL without HTTP.
FUZZ_HELPERS := tests/fuzz/shopify_rig.c
TEST_SRCS := tests/runner.c tests/fuzz/replay.c $(FUZZ_HELPERS) $(ENGINE_CORE) $(SYNCD_PARTS) $(SYNCD_REST) $(HARNESS_PARTS) \
             $(sort $(wildcard sim/*.c)) \
             $(SHOPIFY_PURE) $(CIN7_PURE) $(MOCKS_REST) \
             $(sort $(wildcard tests/unit/*.c tests/e2e/*.c tests/fuzz/fuzz_*.c))
SELFTEST_SRCS := tests/runner.c tests/selftest/selftest.c

BENCH_PROGS := bench-httpd bench-bare bench-store bench-syncd-intake bench-cin7-budget
bench-httpd_SRCS := bench/httpd_server.c bench/benchopt.c
bench-bare_SRCS  := bench/bare_server.c bench/benchopt.c
bench-store_SRCS := bench/store_bench.c bench/benchopt.c engine/syncd/store.c engine/syncd/store_sqlite.c \
                    engine/syncd/store_postgres.c
bench-syncd-intake_SRCS := bench/syncd_intake.c bench/benchopt.c harness/lb.c
bench-cin7-budget_SRCS := bench/cin7_budget.c bench/benchopt.c

# ---- variant rules ---------------------------------------------------------

rel_obj  = $(patsubst %.c,$(BUILD)/rel/%.o,$(1))
asan_obj = $(patsubst %.c,$(BUILD)/asan/%.o,$(1))

$(BUILD)/rel/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WARN) $(REL_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WARN) $(ASAN_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/rel/libsurge.a: $(call rel_obj,$(LIB_SRCS))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/asan/libsurge.a: $(call asan_obj,$(LIB_SRCS))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

define program_rules
bin/$(1): $(call rel_obj,$($(1)_SRCS)) $(BUILD)/rel/libsurge.a
	@mkdir -p $$(@D)
	$$(CC) $(REL_CFLAGS) -o $$@ $$^ $$(LDLIBS)
$(BUILD)/asan/bin/$(1): $(call asan_obj,$($(1)_SRCS)) $(BUILD)/asan/libsurge.a
	@mkdir -p $$(@D)
	$$(CC) $(ASAN_LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rules,$(p))))

define bench_rules
$(BUILD)/rel/bench/$(1): $(call rel_obj,$($(1)_SRCS)) $(BUILD)/rel/libsurge.a
	@mkdir -p $$(@D)
	$$(CC) $(REL_CFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach p,$(BENCH_PROGS),$(eval $(call bench_rules,$(p))))

$(BUILD)/asan/tests/run-tests: $(call asan_obj,$(TEST_SRCS)) $(BUILD)/asan/libsurge.a
	@mkdir -p $(@D)
	$(CC) $(ASAN_LDFLAGS) -o $@ $^ $(LDLIBS)

# Tests that fail on purpose, for the runner's own tests.
$(BUILD)/asan/tests/runner-selftest: $(call asan_obj,$(SELFTEST_SRCS)) $(BUILD)/asan/libsurge.a
	@mkdir -p $(@D)
	$(CC) $(ASAN_LDFLAGS) -o $@ $^ $(LDLIBS)

# libFuzzer builds (clang): `make fuzz FUZZ=json [FUZZ_ARGS=-max_total_time=60]`
# runs one target; `make fuzz-all FUZZ_SECONDS=N` runs every target (one per
# corpus directory) for N seconds each and prints its executions, coverage
# and whether it crashed (scripts/fuzz-all.sh; summary in
# $(BUILD)/fuzz/summary.json, crashing inputs in $(BUILD)/fuzz/crashes/).
FUZZ_CC     ?= clang
# Undefined behaviour stops a run, as in the test build; clang's checks
# include float-to-integer overflow, which gcc's do not.
FUZZ_CFLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
               -DSURGE_LIBFUZZER
FUZZ_SRCS   := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS := $(sort $(notdir $(wildcard tests/fuzz/corpus/*)))
FUZZ_SECONDS ?= 60
fuzz_obj     = $(patsubst %.c,$(BUILD)/fuzz/%.o,$(1))

$(BUILD)/fuzz/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(WARN) $(FUZZ_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

FUZZ_LINK   := $(LIB_SRCS) $(ENGINE_CORE) $(SYNCD_PARTS) $(SYNCD_REST) $(HARNESS_PARTS) \
               $(sort $(wildcard sim/*.c)) \
               $(SHOPIFY_PURE) $(CIN7_PURE) $(MOCKS_REST) $(FUZZ_HELPERS) $(FUZZ_SRCS)
# Kept between builds: each target's binary links the same objects.
.SECONDARY: $(call fuzz_obj,$(FUZZ_LINK))
$(BUILD)/fuzz/fuzz-%: $(call fuzz_obj,$(FUZZ_LINK)) tests/fuzz/libfuzzer_main.c
	$(FUZZ_CC) $(filter-out -MMD -MP,$(CPPFLAGS)) $(WARN) $(FUZZ_CFLAGS) -DFUZZ_NAME=$* \
	    -fsanitize=fuzzer -o $@ tests/fuzz/libfuzzer_main.c \
	    $(call fuzz_obj,$(FUZZ_LINK)) $(LDLIBS)

# ---- targets ---------------------------------------------------------------

.PHONY: all deps test check run chaos bench clean fuzz fuzz-all reliability
.DEFAULT_GOAL := all

all: $(BUILD)/rel/libsurge.a $(addprefix bin/,$(PROGRAMS))

deps:
	@scripts/deps.sh

# `test` and `run` install packages first, then build in a second make so the
# pkg-config flags are read after the packages exist.
test:
	@scripts/deps.sh --test
	@$(MAKE) --no-print-directory check

# The release programs too: the valgrind tests run them (valgrind cannot
# run sanitizer builds).
check: $(BUILD)/asan/tests/run-tests $(BUILD)/asan/tests/runner-selftest \
       $(addprefix $(BUILD)/asan/bin/,$(PROGRAMS)) $(addprefix bin/,$(PROGRAMS))
	@SURGE_BIN=$(BUILD)/asan/bin SURGE_RUNNER_SELFTEST=$(BUILD)/asan/tests/runner-selftest \
	    SURGE_RELEASE_BIN=bin $(BUILD)/asan/tests/run-tests $(T)

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run-default.sh

# The chaos scenarios, one after the other (each run is timed: running them
# side by side on a small machine would make them late, then invalid).
chaos: deps
	@$(MAKE) --no-print-directory all
	@SEEDS="$(SEEDS)" CHAOS="$(CHAOS)" scripts/chaos.sh

bench: deps
	@$(MAKE) --no-print-directory all $(addprefix $(BUILD)/rel/bench/,$(BENCH_PROGS))
	@BUILD=$(BUILD) bench/run.sh
	@echo
	@echo "bench: syncd store, durable enqueue from 8 threads (group commit)"
	@$(BUILD)/rel/bench/bench-store
	@echo "bench: the same on a throwaway PostgreSQL cluster (a transaction per enqueue)"
	@$(BUILD)/rel/bench/bench-store --events 20000 --postgres
	@echo "bench: three syncd instances on PostgreSQL sharing one Cin7 budget of 60 calls/min, a backlog"
	@$(BUILD)/rel/bench/bench-cin7-budget --ceiling 58
	@$(BUILD)/rel/bench/bench-cin7-budget --ceiling 60
	@echo
	@BUILD=$(BUILD) bench/surge.sh

# The optional servers `make bench` compares with: nginx and WireMock.
.PHONY: bench-tools
bench-tools:
	@BUILD=$(BUILD) bench/tools.sh

fuzz:
	@test -n "$(FUZZ)" || { echo "usage: make fuzz FUZZ=NAME (targets: $(FUZZ_TARGETS))"; exit 2; }
	@$(MAKE) --no-print-directory $(BUILD)/fuzz/fuzz-$(FUZZ)
	@mkdir -p $(BUILD)/fuzz/corpus-$(FUZZ)
	$(BUILD)/fuzz/fuzz-$(FUZZ) $(FUZZ_ARGS) $(BUILD)/fuzz/corpus-$(FUZZ) tests/fuzz/corpus/$(FUZZ)

# Every fuzz target for FUZZ_SECONDS each (clang); per-target executions,
# coverage and crashes, and $(BUILD)/fuzz/summary.tsv for `make reliability`.
FUZZ_SECONDS ?= 60
fuzz-all:
	@scripts/fuzz-all.sh $(FUZZ_SECONDS) $(BUILD)

# docs/RELIABILITY.md regenerated from a run (and the last fuzz-all).
reliability:
	@scripts/reliability.sh $(BUILD)

clean:
	rm -rf $(BUILD) bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
