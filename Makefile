# natbox -- plain GNU Makefile. `make` builds ./natbox, `make check` runs
# every test, `make demo` runs the main job, `make bench` prints figures.

CC      ?= cc
BUILD   ?= build
BIN     ?= natbox
PREFIX  ?= /usr/local
DESTDIR ?=

# CFLAGS: -O2 -g, with link-time optimisation under gcc (clang takes no
# -flto=auto, and its LTO needs a linker plugin; CC=clang builds without).
CC_IS_CLANG := $(findstring clang,$(shell $(CC) --version 2>/dev/null | head -n 1))
ifeq ($(origin CFLAGS),undefined)
CFLAGS := -O2 -g $(if $(CC_IS_CLANG),,-flto=auto)
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wcast-qual -Wformat=2 -Wvla
# WERROR=1: every warning fails the build (CI builds so, with gcc and clang).
ifeq ($(WERROR),1)
WARN += -Werror
endif
BASE_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -MMD -MP \
	-DNATBOX_POLICY_DIR='"$(PREFIX)/share/natbox/policies"'
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

ifeq ($(V),1)
Q :=
else
Q := @
endif

# One core and its fronts, each in its own folder with its headers in
# include/<part>. What a part may include is its include path: the core
# sees only include/core (a libpcap, libmnl or front header there fails the
# build); a front sees the core, common and its own headers; the live path
# also sees control's (the worker posts to the control server's mailbox and
# reads the live profile); the CLI ties everything together.
PARTS := common live offline control probe cli
INC_core    := -Iinclude/core
INC_common  := -Iinclude/core -Iinclude/common
INC_live    := $(INC_common) -Iinclude/live -Iinclude/control
INC_offline := $(INC_common) -Iinclude/offline
INC_control := $(INC_common) -Iinclude/control
INC_probe   := $(INC_common) -Iinclude/probe
INC_cli     := $(INC_common) $(foreach p,live offline control probe cli,-Iinclude/$(p))
INC_all     := $(INC_cli)

CORE_SRCS  ?= $(sort $(wildcard src/core/*.c))
FRONT_SRCS ?= $(sort $(foreach p,$(PARTS),$(wildcard src/$(p)/*.c)))
UNIT_SRCS  ?= $(sort $(wildcard tests/unit/*.c))
# Front modules unit-tested beside the core: their I/O is the caller's
# (flowfilter, ctl_peer's status parser) or goes to files the tests give
# them (livepol's profiles, log and event sinks).
UNIT_FRONT_SRCS ?= src/control/flowfilter.c src/control/ctl_peer.c src/control/livepol.c \
	src/control/livepol_change.c \
	src/common/profiles.c src/common/log.c src/common/evsink.c src/common/strbuf.c \
	src/common/safefile.c src/common/fieldw.c src/common/opts.c src/probe/probe_net.c \
	src/probe/probe_srvicmp.c
E2E_SRCS   := $(sort $(wildcard tests/e2e/*.c))
BENCH_SRCS := $(sort $(wildcard tests/bench/*.c))

CORE_OBJS     := $(CORE_SRCS:%.c=$(BUILD)/%.o)
CORE_SAN_OBJS := $(CORE_SRCS:%.c=$(BUILD)/san/%.o)
FRONT_OBJS    := $(FRONT_SRCS:%.c=$(BUILD)/%.o)
UNIT_OBJS     := $(UNIT_SRCS:%.c=$(BUILD)/san/%.o) $(UNIT_FRONT_SRCS:%.c=$(BUILD)/san/%.o)
E2E_BINS      := $(E2E_SRCS:tests/e2e/%.c=$(BUILD)/e2e/%)
BENCH_BINS    := $(BENCH_SRCS:tests/bench/%.c=$(BUILD)/bench/%)
# the libFuzzer targets, tests/fuzz/fuzz_T.c (rules below)
FUZZ_TARGETS  := decode policy filter ctl engine natrw pcap zconn
FUZZ_BINS     := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)

PKG_CFLAGS = $(shell pkg-config --cflags libnetfilter_queue libmnl libpcap 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs libnetfilter_queue libmnl libpcap 2>/dev/null)
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

.PHONY: all binaries deps check unit e2e kernel-diff kernel-dgram probe-loop bench demo fuzz clean install uninstall FORCE

all: $(BIN)

# Everything that compiles: natbox, the unit runner, the scenarios'
# endpoints, the benchmarks and, when CC is clang, the fuzz target (CI
# builds this with gcc and again with clang).
binaries: $(BIN) $(BUILD)/unit-tests $(E2E_BINS) $(BENCH_BINS) \
	$(if $(CC_IS_CLANG),$(FUZZ_BINS))

# The packages the goals given need (tests/deps.sh lists them all): checked
# first, on every run (command -v and pkg-config, no apt call); as root the
# missing ones are installed, otherwise the exact apt-get command is printed.
DEPS_GROUPS := $(or $(filter check unit e2e demo bench fuzz,$(MAKECMDGOALS)),$(if $(filter kernel-diff kernel-dgram,$(MAKECMDGOALS)),e2e),build)
deps:
	@sh tests/deps.sh $(DEPS_GROUPS)

# The profile directory is compiled in: the objects that name it depend on
# a stamp holding the PREFIX, rewritten only when PREFIX changes.
POLICY_DIR_SRCS := $(shell grep -l NATBOX_POLICY_DIR $(CORE_SRCS) $(FRONT_SRCS) 2>/dev/null)
$(POLICY_DIR_SRCS:%.c=$(BUILD)/%.o) $(POLICY_DIR_SRCS:%.c=$(BUILD)/san/%.o): $(BUILD)/prefix.stamp
$(BUILD)/prefix.stamp: FORCE
	@mkdir -p $(@D)
	@if [ "$$(cat $@ 2>/dev/null)" != "$(PREFIX)" ]; then echo "$(PREFIX)" >$@; fi
FORCE:

$(BIN): $(CORE_OBJS) $(FRONT_OBJS) | deps
	@echo "  LD      $@"
	$(Q)$(CC) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread $(LDLIBS)

$(BUILD)/src/core/%.o: src/core/%.c | deps
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(BASE_CFLAGS) $(INC_core) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

$(BUILD)/san/src/core/%.o: src/core/%.c | deps
	@mkdir -p $(@D)
	@echo "  CC SAN  $<"
	$(Q)$(CC) $(BASE_CFLAGS) $(INC_core) -O1 -g $(SAN) $(CPPFLAGS) -c -o $@ $<

# Fronts may use the libraries; the core may not (no -I for them there).
define front_rules
$$(BUILD)/src/$(1)/%.o: src/$(1)/%.c | deps
	@mkdir -p $$(@D)
	@echo "  CC      $$<"
	$$(Q)$$(CC) $$(BASE_CFLAGS) $$(INC_$(1)) $$(CFLAGS) $$(CPPFLAGS) $$(PKG_CFLAGS) -c -o $$@ $$<

$$(BUILD)/san/src/$(1)/%.o: src/$(1)/%.c | deps
	@mkdir -p $$(@D)
	@echo "  CC SAN  $$<"
	$$(Q)$$(CC) $$(BASE_CFLAGS) $$(INC_$(1)) -O1 -g $$(SAN) $$(CPPFLAGS) -c -o $$@ $$<
endef
$(foreach p,$(PARTS),$(eval $(call front_rules,$(p))))

$(BUILD)/san/tests/unit/%.o: tests/unit/%.c | deps
	@mkdir -p $(@D)
	@echo "  CC SAN  $<"
	$(Q)$(CC) $(BASE_CFLAGS) $(INC_all) -O1 -g $(SAN) $(CPPFLAGS) $(CHECK_CFLAGS) -c -o $@ $<

$(BUILD)/unit-tests: $(UNIT_OBJS) $(CORE_SAN_OBJS) | deps
	@echo "  LD SAN  $@"
	$(Q)$(CC) $(WARN) $(SAN) -o $@ $^ $(CHECK_LIBS)

$(BUILD)/e2e/%: tests/e2e/%.c | deps
	@mkdir -p $(@D)
	@echo "  CC SAN  $<"
	$(Q)$(CC) $(BASE_CFLAGS) -O1 -g $(SAN) $(CPPFLAGS) -o $@ $< -lpthread

$(BUILD)/bench/%: tests/bench/%.c $(CORE_OBJS) | deps
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(BASE_CFLAGS) $(INC_core) $(CFLAGS) -march=native $(CPPFLAGS) -o $@ $< $(CORE_OBJS)

unit: $(BUILD)/unit-tests
	@NATBOX_POLICY_PATH=$(CURDIR)/policies $(BUILD)/unit-tests

e2e: $(BIN) $(E2E_BINS)
	@sh tests/e2e/run.sh $(BUILD)

# The core's purity check and the unit tests always; the capture tests;
# the namespace scenarios when root (they need it). tests/run-all.sh.
# With clang and libFuzzer there, the fuzz targets run a few seconds each.
FUZZ_OK := $(shell command -v clang >/dev/null 2>&1 && \
	ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1 && echo 1)
check: $(BIN) $(BUILD)/unit-tests $(E2E_BINS) $(if $(FUZZ_OK),$(FUZZ_BINS))
	@NATBOX=$(abspath $(BIN)) CC="$(CC)" NATBOX_POLICY_PATH=$(CURDIR)/policies \
	    sh tests/run-all.sh $(BUILD)

# The differential test against the kernel's conntrack at length (root):
# KDIFF_SEEDS x KDIFF_FLOWS random flows (`make check` runs 2 x 100);
# KDIFF_EXAMPLES=kernel-repro.json adds the fidelity examples.
KDIFF_SEEDS ?= 1 2 3 4 5
KDIFF_FLOWS ?= 1000
kernel-diff: $(BIN) $(E2E_BINS)
	@NATBOX=$(abspath $(BIN)) NATBOX_POLICY_PATH=$(CURDIR)/policies \
	    KDIFF_SEEDS="$(KDIFF_SEEDS)" KDIFF_FLOWS=$(KDIFF_FLOWS) \
	    sh tests/e2e/s15_kernel_diff.sh $(BUILD)

# The datagram differential test (UDP, ICMP, GRE, ESP, SCTP, others) at
# length (root): KDGRAM_SEEDS x KDGRAM_FLOWS (at most 200) random flows
# (`make check` runs 2 x 60); KDGRAM_STRICT=1 holds SCTP to it too.
KDGRAM_SEEDS ?= 1 2 3 4 5 6 7 8 9 10
KDGRAM_FLOWS ?= 200
kernel-dgram: $(BIN) $(E2E_BINS)
	@NATBOX=$(abspath $(BIN)) NATBOX_POLICY_PATH=$(CURDIR)/policies \
	    KDGRAM_SEEDS="$(KDGRAM_SEEDS)" KDGRAM_FLOWS=$(KDGRAM_FLOWS) \
	    sh tests/e2e/s20_kernel_dgram.sh $(BUILD)

# The probe's closed loop over every library profile (root; about a
# minute each; `make check` runs a representative few).
probe-loop: $(BIN) $(E2E_BINS)
	@NATBOX=$(abspath $(BIN)) PROBE_LOOP=all sh tests/e2e/s18_probe_loop.sh $(BUILD)

# Figures only. The lab part needs root; LAB_OFFLOAD=1 for GRO/GSO on.
bench: $(BIN) $(BENCH_BINS)
	@echo "== $(BUILD)/bench/bench_engine"; $(BUILD)/bench/bench_engine
	@if [ "$$(id -u)" = 0 ]; then sh tests/bench/bench_lab.sh; \
	else echo "== tests/bench/bench_lab.sh skipped: needs root"; fi

demo: $(BIN) $(E2E_BINS)
	@sh tests/demo.sh $(BUILD)

# libFuzzer targets (tests/fuzz/fuzz_T.c), built with clang: each runs for
# FUZZ_SECS (60) seconds from its seeds in tests/fuzz/corpus/T; what it
# finds goes to $(BUILD)/fuzz/corpus/T, never into the tree. make check
# runs each for FUZZ_CHECK_SECS on its seeds (tests/fuzz/run.sh).
FUZZ_SECS ?= 60
FUZZ_CC ?= clang
FUZZ_FLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined
COMMON_SRCS := $(sort $(wildcard src/common/*.c))
CONTROL_SRCS := $(sort $(wildcard src/control/*.c))
FUZZ_SRCS_decode := src/core/decode.c
FUZZ_SRCS_policy := $(CORE_SRCS)
FUZZ_SRCS_filter := src/control/flowfilter.c src/common/opts.c src/common/log.c $(CORE_SRCS)
FUZZ_SRCS_ctl := $(CONTROL_SRCS) $(COMMON_SRCS) $(CORE_SRCS)
FUZZ_SRCS_engine := $(CORE_SRCS)
FUZZ_SRCS_natrw := src/core/natrw.c src/core/decode.c
FUZZ_SRCS_zconn := src/core/zconn.c src/core/zconn_tcp.c src/core/natrw.c src/core/decode.c
FUZZ_SRCS_pcap := src/offline/pcapin.c src/offline/linkl3.c src/offline/tunnel.c \
    src/common/safefile.c src/core/decode.c
FUZZ_LIBS_ctl := -lpthread
FUZZ_LIBS_pcap = $(shell pkg-config --libs libpcap 2>/dev/null)
FUZZ_INC := $(INC_common) -Iinclude/control -Iinclude/offline

.PHONY: fuzz-bins
fuzz-bins: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	@NATBOX_POLICY_PATH=$(CURDIR)/policies sh tests/fuzz/run.sh $(BUILD) $(FUZZ_SECS)

.SECONDEXPANSION:
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_SRCS_$$*) $(wildcard include/*/*.h src/*/*.h) | deps
	@mkdir -p $(@D)
	@echo "  CC FUZZ $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) $(FUZZ_INC) -o $@ $< $(FUZZ_SRCS_$*) $(FUZZ_LIBS_$*)

# Install layout: MANDIR and UNITDIR may be given on the command line.
# The binary looks up profiles in $(PREFIX)/share/natbox/policies, compiled
# in: a binary built with another PREFIX has the objects that name it
# rebuilt first (prefix.stamp, above), so an install never ships a binary
# that cannot find its profiles.
install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/natbox/policies
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/natbox
	install -m 0644 policies/*.profile $(DESTDIR)$(PREFIX)/share/natbox/policies/
	install -d $(DESTDIR)$(or $(MANDIR),$(PREFIX)/share/man)/man8 \
	    $(DESTDIR)$(or $(MANDIR),$(PREFIX)/share/man)/man5
	install -m 0644 man/natbox.8 $(DESTDIR)$(or $(MANDIR),$(PREFIX)/share/man)/man8/natbox.8
	install -m 0644 man/natbox-policy.5 $(DESTDIR)$(or $(MANDIR),$(PREFIX)/share/man)/man5/natbox-policy.5
	install -d $(DESTDIR)$(or $(UNITDIR),$(PREFIX)/lib/systemd/system)
	sed 's|@BINDIR@|$(PREFIX)/bin|g' systemd/natbox@.service > $(DESTDIR)$(or $(UNITDIR),$(PREFIX)/lib/systemd/system)/natbox@.service
	chmod 0644 $(DESTDIR)$(or $(UNITDIR),$(PREFIX)/lib/systemd/system)/natbox@.service

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/natbox
	rm -rf $(DESTDIR)$(PREFIX)/share/natbox
	rm -f $(DESTDIR)$(or $(MANDIR),$(PREFIX)/share/man)/man8/natbox.8
	rm -f $(DESTDIR)$(or $(MANDIR),$(PREFIX)/share/man)/man5/natbox-policy.5
	rm -f $(DESTDIR)$(or $(UNITDIR),$(PREFIX)/lib/systemd/system)/natbox@.service

clean:
	rm -rf $(BUILD) build-* natbox

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
