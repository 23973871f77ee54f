# Makefile - build, test, install doormat (plain GNU make; see README "Build").
#
#   make [all]            library + doormat binary        (build/$(VARIANT)/)
#   make demo             build release, run the UK-only scenario
#   make check            unit tests (Check runner), header tests, shell tests
#   make check-san        the same under ASan/UBSan/LSan  (VARIANT=san)
#   make valgrind         the Check runner under valgrind (VARIANT=debug)
#   make bench            build bench/*.c and run bench_doormat $(BENCH_ARGS)
#   make fuzz             build fuzz/*.c with libFuzzer, run each $(FUZZ_SECONDS)s
#   make golden           regenerate golden reports (tests/golden.sh --regen)
#   make install|uninstall  PREFIX=/usr/local DESTDIR=
#   make clean
#
# Variables: VARIANT=release|debug|san, CC, CFLAGS, CPPFLAGS, LDFLAGS, LDLIBS,
# PKG_CONFIG, PREFIX, DESTDIR, BUILDDIR (default build), SUITE=<name> (one
# Check suite), BENCH_ARGS, FUZZ_SECONDS, FUZZ_ARGS, NO_BOOTSTRAP=1 (never run
# .ci/install-deps).

.SUFFIXES:
MAKEFLAGS += --no-print-directory
.DELETE_ON_ERROR:

VERSION      := 0.1.0
PREFIX       ?= /usr/local
BINDIR       ?= $(PREFIX)/bin
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
PKG_CONFIG   ?= pkg-config
INSTALL      ?= install
VALGRIND     ?= valgrind
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
BENCH_ARGS   ?=
VARIANT      ?= release

LIB_MODULES  := libsodium libcjson libgfshare
TEST_MODULES := check

# --- variants -------------------------------------------------------------
VARIANT_CFLAGS_release := -O2 -g
VARIANT_CFLAGS_debug   := -O0 -g
VARIANT_CFLAGS_san     := -O1 -g -fsanitize=address,undefined \
                          -fno-omit-frame-pointer -fno-sanitize-recover=all
VARIANT_LDFLAGS_san    := -fsanitize=address,undefined
ifeq ($(filter $(VARIANT),release debug san),)
$(error VARIANT must be release, debug or san (got "$(VARIANT)"))
endif

BUILDDIR ?= build
BUILD := $(BUILDDIR)/$(VARIANT)

# Dependency flags are computed on first use, not at parse time, so that the
# bootstrap step (target `deps`) can install pkg-config and the libraries
# before anything asks for them.  `X = $(eval X := ...)$(X)` memoises.
PKG_CFLAGS = $(eval PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(LIB_MODULES)))$(PKG_CFLAGS)
PKG_LIBS = $(eval PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(LIB_MODULES)))$(PKG_LIBS)
CHECK_CFLAGS = $(eval CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(TEST_MODULES)))$(CHECK_CFLAGS)
CHECK_LIBS = $(eval CHECK_LIBS := $(shell $(PKG_CONFIG) --libs $(TEST_MODULES)))$(CHECK_LIBS)

# Our flags first, the user's CFLAGS/LDFLAGS last so they win.
DM_CPPFLAGS := -Iinclude -Isim -MMD -MP
DM_CFLAGS   := -std=gnu11 -Wall -Wextra -Werror $(VARIANT_CFLAGS_$(VARIANT))
DM_LDFLAGS  := $(VARIANT_LDFLAGS_$(VARIANT))
COMPILE = $(CC) $(DM_CPPFLAGS) $(CPPFLAGS) $(DM_CFLAGS) $(PKG_CFLAGS) $(CFLAGS)
LINK    = $(CC) $(DM_CFLAGS) $(CFLAGS) $(DM_LDFLAGS) $(LDFLAGS)

# --- sources (wildcards: new files are picked up without editing this) ----
# CLI-only files: sim/main.c and sim/cli_*.c.  Everything else in sim/ is the
# library.
MAIN_SRC   := $(wildcard sim/main.c)
CLI_SRCS   := $(sort $(wildcard sim/cli_*.c))
LIB_SRCS   := $(sort $(filter-out sim/main.c sim/cli_%.c,$(wildcard sim/*.c)))
TEST_SRCS  := $(sort $(wildcard tests/test_*.c))
# Other tests/*.c (helpers, fixtures) are linked into the runner too.
TEST_HELPERS := $(sort $(filter-out tests/check_main.c $(TEST_SRCS),$(wildcard tests/*.c)))
SHELL_TESTS := $(sort $(wildcard tests/*.sh))
HEADERS    := $(sort $(wildcard include/doormat/*.h))
BENCH_SRCS := $(sort $(wildcard bench/*.c))
FUZZ_SRCS  := $(sort $(wildcard fuzz/*.c))

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
LIB_OBJS  := $(call obj,$(LIB_SRCS))
CLI_OBJS  := $(call obj,$(CLI_SRCS))
MAIN_OBJ  := $(call obj,$(MAIN_SRC))
TEST_OBJS := $(call obj,$(TEST_SRCS) $(TEST_HELPERS) tests/check_main.c)

LIB    := $(BUILD)/libdoormat.a
BIN    := $(if $(MAIN_SRC),$(BUILD)/doormat)
RUNNER := $(BUILD)/check_doormat
SUITES := $(BUILD)/suites.inc
# bench/bench.c -> bench_doormat; bench/foo.c -> bench_foo.
bench_name = $(if $(filter bench,$(1)),bench_doormat,bench_$(1))
BENCH_BINS := $(foreach s,$(BENCH_SRCS),$(BUILD)/$(call bench_name,$(basename $(notdir $(s)))))
HEADER_STAMPS := $(patsubst include/doormat/%.h,$(BUILD)/headers/%.ok,$(HEADERS))

# --- dependency bootstrap ---------------------------------------------------
# Goals that need Check, valgrind or clang ask the script for them too.  The
# script is a no-op (a pkg-config call) when everything is installed.
DEPS_OPTS := $(if $(filter check check-san valgrind test-bins,$(MAKECMDGOALS)),--tests) \
             $(if $(filter valgrind,$(MAKECMDGOALS)),--valgrind) \
             $(if $(filter fuzz,$(MAKECMDGOALS)),--fuzz)

.PHONY: all demo check check-san valgrind bench fuzz golden install uninstall \
        clean deps test-bins headers bench-bins FORCE

all: $(LIB) $(BIN) $(CLI_OBJS)

deps:
ifneq ($(NO_BOOTSTRAP),1)
	@PKG_CONFIG='$(PKG_CONFIG)' CC='$(CC)' sh .ci/install-deps $(strip $(DEPS_OPTS))
endif

# --- compile -------------------------------------------------------------
# Objects also depend on the flags they were built with (build/X/flags only
# changes when the flags do), so `make CFLAGS=...` rebuilds what it must.
FLAGS_NOW = $(CC) $(DM_CPPFLAGS) $(CPPFLAGS) $(DM_CFLAGS) $(CFLAGS) $(DM_LDFLAGS) $(LDFLAGS) $(LDLIBS)
$(BUILD)/flags: FORCE
	@mkdir -p $(@D)
	@printf '%s\n' '$(subst ','\'',$(FLAGS_NOW))' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(BUILD)/sim/%.o: sim/%.c $(BUILD)/flags | deps
	@mkdir -p $(@D)
	$(COMPILE) -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c $(BUILD)/flags | deps
	@mkdir -p $(@D)
	$(COMPILE) $(CHECK_CFLAGS) -c $< -o $@

# The runner includes the generated suite list.
$(BUILD)/tests/check_main.o: tests/check_main.c $(SUITES) $(BUILD)/flags | deps
	@mkdir -p $(@D)
	$(COMPILE) $(CHECK_CFLAGS) -I$(BUILD) -c $< -o $@

# tests/test_foo.c -> DM_SUITE(foo); rewritten only when the list changes.
$(SUITES): FORCE
	@mkdir -p $(@D)
	@{ echo '/* generated by the Makefile from tests/test_*.c; do not edit */'; \
	   $(foreach t,$(TEST_SRCS),echo 'DM_SUITE($(patsubst test_%,%,$(basename $(notdir $(t)))))';) \
	 } > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

# --- link ----------------------------------------------------------------
$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	@rm -f $@
	$(AR) rcs $@ $^

ifneq ($(MAIN_SRC),)
$(BIN): $(MAIN_OBJ) $(CLI_OBJS) $(LIB)
	$(LINK) -o $@ $(MAIN_OBJ) $(CLI_OBJS) $(LIB) $(PKG_LIBS) $(LDLIBS) -lm
endif

$(RUNNER): $(TEST_OBJS) $(CLI_OBJS) $(LIB)
	$(LINK) -o $@ $(TEST_OBJS) $(CLI_OBJS) $(LIB) $(CHECK_LIBS) $(PKG_LIBS) $(LDLIBS) -lm

# --- headers: each public header compiles on its own, twice (guards) ------
headers: $(HEADER_STAMPS)
$(BUILD)/headers/%.ok: include/doormat/%.h $(BUILD)/flags | deps
	@mkdir -p $(@D)
	@printf '#include "doormat/%s.h"\n#include "doormat/%s.h"\nint dm_header_test_$*;\n' '$*' '$*' \
	  | $(CC) -Iinclude $(CPPFLAGS) $(DM_CFLAGS) $(CFLAGS) -fsyntax-only \
	      -MMD -MP -MT $@ -MF $(@:.ok=.d) -x c - \
	  || { echo "header include/doormat/$*.h does not compile on its own" >&2; exit 1; }
	@touch $@

# --- tests ---------------------------------------------------------------
# The runner runs from the repo root (fixtures: scenarios/, tests/).  SUITE
# picks one Check suite; a test gets 60 s (Check's default is 4) unless
# CK_DEFAULT_TIMEOUT says otherwise.  Shell tests get the binary as $$1 and $$DOORMAT;
# they are skipped (said so) while there is no sim/main.c.
test-bins: all $(RUNNER) headers

check: test-bins
	@status=0; \
	echo "== unit tests ($(RUNNER)$(if $(SUITE), $(SUITE)))"; \
	CK_DEFAULT_TIMEOUT=$${CK_DEFAULT_TIMEOUT:-60} $(RUNNER) $(SUITE) || status=1; \
	pass=0; fail=0; skip=0; \
	for t in $(SHELL_TESTS); do \
	  if [ -z "$(BIN)" ] || [ -n "$(SUITE)" ]; then skip=$$((skip+1)); continue; fi; \
	  echo "== $$t"; \
	  if [ -x "$$t" ]; then run="./$$t"; else run="sh $$t"; fi; \
	  if DOORMAT="$(abspath $(BIN))" $$run "$(abspath $(BIN))"; then \
	    pass=$$((pass+1)); else echo "FAILED: $$t"; fail=$$((fail+1)); status=1; fi; \
	done; \
	echo "shell-tests: $$pass passed, $$fail failed, $$skip skipped$(if $(BIN),$(if $(SUITE), (SUITE is set)), (no sim/main.c yet))"; \
	exit $$status

# LeakSanitizer is on by default with ASan on Linux; say it anyway.
check-san:
	CK_FORK=no ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(MAKE) VARIANT=san check

valgrind: deps
	$(MAKE) VARIANT=debug test-bins
	CK_FORK=no $(VALGRIND) -q --error-exitcode=1 --leak-check=full \
	  --errors-for-leak-kinds=definite,indirect \
	  $(BUILDDIR)/debug/check_doormat $(SUITE)

demo:
	$(MAKE) VARIANT=release all
	@test -x $(BUILDDIR)/release/doormat || { echo "demo: no doormat binary yet (sim/main.c missing)" >&2; exit 1; }
	$(BUILDDIR)/release/doormat run scenarios/tcn-uk-only.json --seed 1
	@$(BUILDDIR)/release/doormat run scenarios/tcn-uk-only.json --seed 1 --format html \
	  --actor mallory -o $(BUILDDIR)/demo.html 2>/dev/null && \
	  echo "The same report for a browser: $(BUILDDIR)/demo.html (doormat lesson scenarios/tcn-uk-only.json narrates it)"

golden:
	$(MAKE) VARIANT=release all
	@if [ -f tests/golden.sh ]; then \
	  if [ -x tests/golden.sh ]; then run=./tests/golden.sh; else run="sh tests/golden.sh"; fi; \
	  DOORMAT="$(abspath $(BUILDDIR)/release/doormat)" $$run --regen; \
	else echo "golden: no tests/golden.sh yet"; fi

# --- bench: each bench/*.c is its own program ----------------------------
$(BUILD)/bench/%.o: bench/%.c $(BUILD)/flags | deps
	@mkdir -p $(@D)
	$(COMPILE) -c $< -o $@

define bench_rule
$(BUILD)/$(call bench_name,$(1)): $(BUILD)/bench/$(1).o $(LIB)
	$$(LINK) -o $$@ $$< $(LIB) $$(PKG_LIBS) $$(LDLIBS) -lm
endef
$(foreach s,$(BENCH_SRCS),$(eval $(call bench_rule,$(basename $(notdir $(s))))))

bench-bins: $(BENCH_BINS)

# Runs $(BUILDDIR)/release/bench_doormat $(BENCH_ARGS) when bench/bench.c exists,
# and bench/bench.sh (if any) with DOORMAT, BENCH_BUILD and $(BENCH_ARGS).
bench:
	$(MAKE) VARIANT=release all bench-bins
	@ran=0; \
	if [ -x $(BUILDDIR)/release/bench_doormat ]; then ran=1; \
	  echo "$(BUILDDIR)/release/bench_doormat $(BENCH_ARGS)"; \
	  $(BUILDDIR)/release/bench_doormat $(BENCH_ARGS) || exit 1; fi; \
	if [ -f bench/bench.sh ]; then ran=1; \
	  DOORMAT="$(abspath $(BUILDDIR)/release/doormat)" BENCH_BUILD="$(abspath $(BUILDDIR)/release)" \
	    sh bench/bench.sh $(BENCH_ARGS) || exit 1; fi; \
	[ $$ran = 1 ] || echo "bench: built $(notdir $(BENCH_BINS)); no bench/bench.c or bench/bench.sh to run"

# --- fuzz: libFuzzer targets, library rebuilt with clang + sanitizers -----
FUZZ_BUILD  := $(BUILDDIR)/fuzz
FUZZ_FLAGS  := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
               -fno-sanitize-recover=all
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_BUILD)/%.o,$(LIB_SRCS))
FUZZ_BINS := $(patsubst fuzz/%.c,$(FUZZ_BUILD)/%,$(FUZZ_SRCS))
.SECONDARY: $(FUZZ_LIB_OBJS)
FUZZ_COMPILE = $(FUZZ_CC) $(DM_CPPFLAGS) $(CPPFLAGS) -std=gnu11 -Wall -Wextra -Werror \
	$(FUZZ_FLAGS) $(PKG_CFLAGS) $(CFLAGS)

$(FUZZ_BUILD)/sim/%.o: sim/%.c | deps
	@mkdir -p $(@D)
	$(FUZZ_COMPILE) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/%: fuzz/%.c $(FUZZ_LIB_OBJS) | deps
	@mkdir -p $(@D)
	$(FUZZ_COMPILE) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJS) $(PKG_LIBS) $(LDFLAGS) $(LDLIBS) -lm

# Seeds: a fresh copy of the bundled scenarios, lessons and bad samples (the
# scenario schema excepted) in build/fuzz/seeds/, plus fuzz/corpus/NAME/ if
# any; new inputs go into build/fuzz/corpus/NAME/, crashes into build/fuzz/.
# fuzz/X.dict is the dictionary of fuzz/fuzz_X.c.  FUZZ_ARGS adds libFuzzer
# options (e.g. FUZZ_ARGS="-jobs=2 -workers=2").
FUZZ_SEEDS := $(filter-out scenarios/schema.json,$(wildcard scenarios/*.json \
              scenarios/lessons/*.json tests/bad/*.json tests/scenarios/*.json))
FUZZ_ARGS ?=
fuzz: $(FUZZ_BINS)
ifeq ($(FUZZ_SRCS),)
	@echo "fuzz: no fuzz/*.c yet"
else
	@rm -rf $(FUZZ_BUILD)/seeds; mkdir -p $(FUZZ_BUILD)/seeds
	@for s in $(FUZZ_SEEDS); do cp "$$s" "$(FUZZ_BUILD)/seeds/$$(echo "$$s" | tr / _)"; done
	@set -e; for f in $(FUZZ_BINS); do \
	  n=$$(basename $$f); mkdir -p $(FUZZ_BUILD)/corpus/$$n; \
	  seeds=; [ -d fuzz/corpus/$$n ] && seeds=fuzz/corpus/$$n; \
	  dict=; [ -f fuzz/$${n#fuzz_}.dict ] && dict=-dict=fuzz/$${n#fuzz_}.dict; \
	  echo "== $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FUZZ_BUILD)/$$n- $$dict \
	    $(FUZZ_ARGS) $(FUZZ_BUILD)/corpus/$$n $(FUZZ_BUILD)/seeds $$seeds; \
	done
endif

# --- install -------------------------------------------------------------
$(BUILD)/doormat.pc: doormat.pc.in FORCE
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    -e 's|@REQUIRES@|$(LIB_MODULES)|g' $< > $@

install: all $(BUILD)/doormat.pc
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/doormat $(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/libdoormat.a
	$(INSTALL) -m 644 $(HEADERS) $(DESTDIR)$(INCLUDEDIR)/doormat/
	$(INSTALL) -m 644 $(BUILD)/doormat.pc $(DESTDIR)$(PKGCONFIGDIR)/doormat.pc
ifneq ($(BIN),)
	$(INSTALL) -d $(DESTDIR)$(BINDIR)
	$(INSTALL) -m 755 $(BIN) $(DESTDIR)$(BINDIR)/doormat
endif

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/doormat $(DESTDIR)$(LIBDIR)/libdoormat.a \
	      $(DESTDIR)$(PKGCONFIGDIR)/doormat.pc
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/doormat/,$(notdir $(HEADERS)))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/doormat 2>/dev/null

clean:
	rm -rf $(BUILDDIR)

FORCE:

-include $(wildcard $(BUILD)/sim/*.d $(BUILD)/headers/*.d $(BUILD)/tests/*.d $(BUILD)/bench/*.d $(FUZZ_BUILD)/sim/*.d $(FUZZ_BUILD)/*.d)
