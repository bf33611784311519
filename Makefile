# Rampart: one non-recursive Makefile.  `make` builds, `make check` installs
# what the tests need, builds everything (also under ASan+UBSan) and runs
# the whole suite; `make bench` runs the micro-benchmarks.

CC       ?= cc
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
UNITDIR  ?= $(PREFIX)/lib/systemd/system
DESTDIR  ?=
BUILD    ?= build
OPT      ?= -O2 -g
PKG_CONFIG ?= pkg-config
# make check builds with one job per CPU.
NPROC    := $(shell nproc 2>/dev/null || echo 1)

ifneq ($(V),1)
Q := @
E := @echo
else
Q :=
E := @true
endif

WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wformat-security -Wnull-dereference -Wvla -Wpointer-arith \
	-Wcast-align -Wundef
HARDEN   := -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fstack-clash-protection \
	-fcf-protection -fPIE
LDHARDEN := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

CRYPTO_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcrypto 2>/dev/null)
CRYPTO_LIBS   := $(shell $(PKG_CONFIG) --libs libcrypto 2>/dev/null || echo -lcrypto)
MNL_CFLAGS    := $(shell $(PKG_CONFIG) --cflags libmnl 2>/dev/null)
MNL_LIBS      := $(shell $(PKG_CONFIG) --libs libmnl 2>/dev/null || echo -lmnl)
NFT_CFLAGS    := $(shell $(PKG_CONFIG) --cflags libnftables 2>/dev/null)
NFT_LIBS      := $(shell $(PKG_CONFIG) --libs libnftables 2>/dev/null || echo -lnftables)
# libseccomp: rampartd's system-call filter (src/daemon/sandbox.c).  In
# LIBS, since everything that links the daemon's objects needs it: rampartd,
# the tests, the benchmarks, and rampart, which links every room's objects.
SECCOMP_CFLAGS := $(shell $(PKG_CONFIG) --cflags libseccomp 2>/dev/null)
SECCOMP_LIBS   := $(shell $(PKG_CONFIG) --libs libseccomp 2>/dev/null || echo -lseccomp)
# libmicrohttpd only for rampart (metrics serve) and the tests that link
# every object: rampartd opens no TCP port and does not link it.
MHD_CFLAGS    := $(shell $(PKG_CONFIG) --cflags libmicrohttpd 2>/dev/null)
MHD_LIBS      := $(shell $(PKG_CONFIG) --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
# SQLite only for rampart (the peer inventory) and the tests: rampartd
# never opens the inventory and does not link it.
SQLITE_CFLAGS := $(shell $(PKG_CONFIG) --cflags sqlite3 2>/dev/null)
SQLITE_LIBS   := $(shell $(PKG_CONFIG) --libs sqlite3 2>/dev/null || echo -lsqlite3)
# libpq: the inventory's PostgreSQL backend (inventory/store_pg), like
# SQLite for rampart and the tests only: rampartd does not link it.
PQ_CFLAGS     := $(shell $(PKG_CONFIG) --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
PQ_LIBS       := $(shell $(PKG_CONFIG) --libs libpq 2>/dev/null || echo -lpq)
# libqrencode and libpng: the QR codes of client configs (inventory/qrcode).
QR_CFLAGS     := $(shell $(PKG_CONFIG) --cflags libqrencode libpng 2>/dev/null)
QR_LIBS       := $(shell $(PKG_CONFIG) --libs libqrencode libpng 2>/dev/null || echo -lqrencode -lpng)
# Jansson: the audit reads the live ruleset as nft's JSON (audit/ruleset).
JSON_CFLAGS   := $(shell $(PKG_CONFIG) --cflags jansson 2>/dev/null)
JSON_LIBS     := $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null || echo -ljansson)

BASE_CPPFLAGS := -Isrc $(CRYPTO_CFLAGS) $(MNL_CFLAGS) $(NFT_CFLAGS) $(SECCOMP_CFLAGS) $(MHD_CFLAGS) $(SQLITE_CFLAGS) $(PQ_CFLAGS) $(QR_CFLAGS) $(JSON_CFLAGS)
BASE_CFLAGS   := -std=gnu11 $(WARNINGS) -pipe
LIBS          := $(CRYPTO_LIBS) $(MNL_LIBS) $(NFT_LIBS) $(SECCOMP_LIBS) -pthread

# Release objects: hardened, optimized.  CFLAGS/LDFLAGS from the user are
# appended so that packagers can override.
REL_CFLAGS  := $(BASE_CFLAGS) $(OPT) $(HARDEN) $(CFLAGS)
REL_LDFLAGS := $(LDHARDEN) $(LDFLAGS)
# Sanitizer objects: for tests.  -O1 keeps stack traces readable.
SAN_CFLAGS  := $(BASE_CFLAGS) -O1 -g $(SANITIZE) -DRAMPART_DEBUG -fPIE $(CFLAGS)
SAN_LDFLAGS := $(SANITIZE) -pie $(LDFLAGS)

# The rooms under the CLI, lowest rank first (scripts/layers.sh, docs/design.md).
# (src/**/*_backend.c) is #included by its seam, never compiled alone.
LAYERS   := common crypto proto conf sys uapi daemon ctl monitor firewall inventory quick audit
# rampartd's main() is the one file of src/daemon outside the library.
DAEMON_MAIN := src/daemon/main.c
LIB_SRC  := $(filter-out %_backend.c $(DAEMON_MAIN),$(foreach l,$(LAYERS),$(wildcard src/$(l)/*.c)))
CLI_SRC  := $(wildcard src/cli/*.c)
TEST_SRC := $(wildcard tests/unit/test_*.c)
BENCH_SRC := $(wildcard bench/*.c)

# The objects that need libmicrohttpd, SQLite, libpq, libqrencode, libpng
# or Jansson (the exporter, the peer inventory and its QR codes, the audit),
# left out of rampartd and the benchmarks.
HTTP_SRC := src/monitor/exporter.c $(wildcard src/inventory/*.c) $(wildcard src/audit/*.c)
REL_LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/rel/%.o)
REL_NOHTTP_OBJ := $(filter-out $(HTTP_SRC:%.c=$(BUILD)/rel/%.o),$(REL_LIB_OBJ))
REL_CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/rel/%.o)
SAN_LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/san/%.o)
SAN_NOHTTP_OBJ := $(filter-out $(HTTP_SRC:%.c=$(BUILD)/san/%.o),$(SAN_LIB_OBJ))
SAN_CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/san/%.o)
HARNESS_OBJ := $(BUILD)/san/tests/harness.o

RAMPART     := $(BUILD)/rampart
RAMPART_SAN := $(BUILD)/san/rampart
RAMPARTD     := $(if $(wildcard $(DAEMON_MAIN)),$(BUILD)/rampartd)
RAMPARTD_SAN := $(if $(wildcard $(DAEMON_MAIN)),$(BUILD)/san/rampartd)
TESTS       := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# The C tools the script tests run (tests/tools/*.c): one file each.
TEST_TOOLS  := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(wildcard tests/tools/*.c))
BENCHES     := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

# The libFuzzer targets (tests/fuzz/fuzz_*.c, docs/fuzzing.md): clang, with
# the library built a third time, instrumented for coverage and under
# ASan+UBSan.  A target links every library object and every library.
FUZZ_CC     ?= clang
FUZZ_CFLAGS := -std=gnu11 -Wall -Wextra -Wno-missing-field-initializers -g -O1 -fno-omit-frame-pointer -DRAMPART_DEBUG \
	-fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SRC    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS     := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/fuzz/%.o)
# The smoke run's negative control: a target that fails on purpose.
FUZZ_CONTROL := $(BUILD)/fuzz/control

# Keep objects that only feed a test or benchmark binary.
.SECONDARY:

.PHONY: all check check-offloads fuzz test deps install uninstall clean bench demo
all: $(RAMPART) $(RAMPARTD)

$(BUILD)/rel/%.o: %.c
	$(E) "  CC      $<"
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CPPFLAGS) $(CPPFLAGS) $(REL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/san/%.o: %.c
	$(E) "  CC san  $<"
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CPPFLAGS) $(CPPFLAGS) $(SAN_CFLAGS) -MMD -MP -c $< -o $@

$(RAMPART): $(REL_CLI_OBJ) $(REL_LIB_OBJ)
	$(E) "  LD      $@"
	$(Q)$(CC) $(REL_CFLAGS) $(REL_LDFLAGS) $^ $(LIBS) $(MHD_LIBS) $(SQLITE_LIBS) $(PQ_LIBS) $(QR_LIBS) $(JSON_LIBS) -o $@

$(RAMPART_SAN): $(SAN_CLI_OBJ) $(SAN_LIB_OBJ)
	$(E) "  LD san  $@"
	$(Q)$(CC) $(SAN_CFLAGS) $(SAN_LDFLAGS) $^ $(LIBS) $(MHD_LIBS) $(SQLITE_LIBS) $(PQ_LIBS) $(QR_LIBS) $(JSON_LIBS) -o $@

# rampartd takes the library's objects from an archive, so that only those
# it reaches are linked (not the firewall's, for one), and --as-needed then
# leaves out the libraries only the others use: libnftables and the four it
# pulls in are mapped by neither of its processes.
$(BUILD)/%/librampartd.a:
	$(E) "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/rel/librampartd.a: $(REL_NOHTTP_OBJ)
$(BUILD)/san/librampartd.a: $(SAN_NOHTTP_OBJ)

$(BUILD)/rampartd: $(DAEMON_MAIN:%.c=$(BUILD)/rel/%.o) $(BUILD)/rel/librampartd.a
	$(E) "  LD      $@"
	$(Q)$(CC) $(REL_CFLAGS) $(REL_LDFLAGS) -Wl,--as-needed $^ $(LIBS) -o $@

$(BUILD)/san/rampartd: $(DAEMON_MAIN:%.c=$(BUILD)/san/%.o) $(BUILD)/san/librampartd.a
	$(E) "  LD san  $@"
	$(Q)$(CC) $(SAN_CFLAGS) $(SAN_LDFLAGS) -Wl,--as-needed $^ $(LIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/san/tests/unit/%.o $(HARNESS_OBJ) $(SAN_LIB_OBJ)
	$(E) "  LD san  $@"
	@mkdir -p $(@D)
	$(Q)$(CC) $(SAN_CFLAGS) $(SAN_LDFLAGS) $^ $(LIBS) $(MHD_LIBS) $(SQLITE_LIBS) $(PQ_LIBS) $(QR_LIBS) $(JSON_LIBS) -o $@

$(BUILD)/fuzz/%.o: %.c
	$(E) "  CC fuzz $<"
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(BASE_CPPFLAGS) $(CPPFLAGS) -Itests $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	$(E) "  LD fuzz $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ $(LIBS) $(MHD_LIBS) $(SQLITE_LIBS) $(PQ_LIBS) $(QR_LIBS) $(JSON_LIBS) -o $@

$(FUZZ_CONTROL): tests/fuzz/control/control.c
	$(E) "  LD fuzz $@"
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< -o $@

# Builds the fuzz targets; tests/fuzz/smoke.sh (in check) runs each on its
# corpus for a few seconds, scripts/fuzz.sh for as long as you like.
fuzz: $(FUZZERS) $(FUZZ_CONTROL)

$(BUILD)/tests/tools/%: tests/tools/%.c
	$(E) "  CC      $<"
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CPPFLAGS) $(CPPFLAGS) $(REL_CFLAGS) $(REL_LDFLAGS) $< $(SECCOMP_LIBS) -o $@

$(BUILD)/bench/%: $(BUILD)/rel/bench/%.o $(REL_NOHTTP_OBJ)
	$(E) "  LD      $@"
	@mkdir -p $(@D)
	$(Q)$(CC) $(REL_CFLAGS) $(REL_LDFLAGS) $^ $(LIBS) -o $@

$(BUILD)/san/tests/%.o: BASE_CPPFLAGS += -Itests

deps:
	$(Q)scripts/deps.sh ensure

# The suite: unit tests under ASan+UBSan, then the script tests (which run
# the sanitized CLI against the real wireguard-tools).  The last line is
# "N passed, N failed".
check: deps
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) all $(RAMPART_SAN) $(RAMPARTD_SAN) $(TESTS) $(TEST_TOOLS) $(BENCHES) $(FUZZERS) $(FUZZ_CONTROL)
	$(Q)BUILD=$(BUILD) tests/run.sh
test: check

# The namespace tests again under each RAMPART_OFFLOAD_OFF setting (about
# 11 minutes each, so not part of check, which has offload.sh and
# offload_off.sh for the settings).  Only rampartd reads the variable, and
# only the namespace tests move data through it.  OFFLOADS picks settings;
# stops at the first with a failure.
OFFLOADS ?= tso uso gso gro all
check-offloads: deps
	$(Q)$(MAKE) --no-print-directory all $(RAMPART_SAN) $(RAMPARTD_SAN) $(TESTS) $(TEST_TOOLS) $(BENCHES)
	$(Q)for o in $(OFFLOADS); do \
		echo "== RAMPART_OFFLOAD_OFF=$$o"; \
		RAMPART_OFFLOAD_OFF=$$o UNITS=0 ONLY=netns/ BUILD=$(BUILD) tests/run.sh || exit 1; \
	done

# A real tunnel between two network namespaces, brought up and down with
# rampart up/down (as root): installs what is missing, builds, runs
# scripts/demo.sh, and leaves nothing behind.
demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) bash scripts/demo.sh

bench: $(BENCHES)
	$(Q)for b in $(BENCHES); do echo "== $$b"; $$b || exit 1; done

# The systemd units (contrib/systemd) go to UNITDIR with their programs'
# /usr/local/bin replaced by BINDIR; none is enabled.  The wg-quick@
# drop-in is not installed: it changes wg-quick (contrib/README.md).
UNITS := $(wildcard contrib/systemd/*.service contrib/systemd/*.timer)

# The user rampartd's engine runs as (rampartd --user, default rampart):
# a system user and group of its own, no home, no shell.  Only on a real
# install: a staged one (DESTDIR) leaves users to the package's scripts.
INSTALL_USER = getent passwd rampart >/dev/null || \
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin --comment "Rampart's WireGuard engine" rampart

install: $(RAMPART) $(RAMPARTD)
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(RAMPART) $(DESTDIR)$(BINDIR)/rampart
	$(if $(RAMPARTD),install -m 0755 $(RAMPARTD) $(DESTDIR)$(BINDIR)/rampartd)
	install -d $(DESTDIR)$(UNITDIR)
	for u in $(notdir $(UNITS)); do \
		sed 's|/usr/local/bin/|$(BINDIR)/|g' contrib/systemd/$$u >$(DESTDIR)$(UNITDIR)/$$u.tmp && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.tmp && \
		mv -f $(DESTDIR)$(UNITDIR)/$$u.tmp $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	$(if $(DESTDIR),,$(INSTALL_USER))

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/rampart $(DESTDIR)$(BINDIR)/rampartd
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(UNITS)))

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
