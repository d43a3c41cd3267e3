# sp - a sync toolkit of small composable filters.  See README.md.
VERSION = 0.1.0

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/sp
DESTDIR ?=

CC ?= cc
CFLAGS ?= -O2 -g
PKG_CONFIG ?= pkg-config
PKGS = jansson libcurl libpq yaml-0.1 libarchive openssl zlib
CLOUD_PKGS = libmicrohttpd	# the server's own dependency, no tool's

# Binaries go to $(OUT)/bin; objects, .d files and archives to $(OBJ), out
# of the source folders. `make asan` and `make fuzz` build instrumented
# trees beside the normal one (OUT=build/asan, OBJ=build/asan/obj).
OUT ?= .
OBJ ?= $(if $(filter .,$(OUT)),build/obj,$(OUT)/obj)

# Two archives: lib/ (one folder per concern, see lib/LAYERS) is libsp.a
# for every tool; cloud/ is libspcloud.a, the server, which only sp-cloudd
# links. Headers are included by concern: "core/err.h", "cloud/call.h".
override CPPFLAGS += -D_GNU_SOURCE -DSP_VERSION='"$(VERSION)"' -Ilib -I. \
	$(shell $(PKG_CONFIG) --cflags $(PKGS))
override CFLAGS += -std=gnu11 -Wall -Wextra -pthread -MMD -MP
LDLIBS = -Wl,--as-needed $(shell $(PKG_CONFIG) --libs $(PKGS)) -pthread -lm

TOOLS = sp-collect sp-manifest sp-pack sp-unpack sp-dbexport sp-dbimport sp-upload sp-download sp-cloudd sp-mcp sp-deploy \
	sp-scan sp-write sp-diff
SCRIPTS = scripts/sp-env scripts/sp-sync scripts/sp-local
MAN1 = $(wildcard man/man1/*.1)
MAN7 = $(wildcard man/man7/*.7)
MAN8 = $(wildcard man/man8/*.8)

CONCERNS = core rec archive db pg local diff client deploy mcp
LIBSRC = $(sort $(foreach c,$(CONCERNS),$(wildcard lib/$(c)/*.c)))
LIBOBJ = $(LIBSRC:%.c=$(OBJ)/%.o)
CLOUDSRC = $(sort $(wildcard cloud/*.c))
CLOUDOBJ = $(CLOUDSRC:%.c=$(OBJ)/%.o)
LIBSP = $(OBJ)/lib/libsp.a
LIBSPCLOUD = $(OBJ)/cloud/libspcloud.a
BINS = $(TOOLS:%=$(OUT)/bin/%)

UNIT = $(OBJ)/tests/unit/unit

all: $(BINS) $(UNIT)

# tests/unit: table-driven cases of lib/'s pure functions, one binary
# (tests/unit.bats runs it first, under make asan too)
$(UNIT): $(OBJ)/tests/unit/unit.o $(LIBSP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(LIBSP): $(LIBOBJ)
	$(AR) rcs $@ $^

$(LIBSPCLOUD): $(CLOUDOBJ)
	$(AR) rcs $@ $^

$(OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(CLOUDOBJ) $(OBJ)/cmd/sp-cloudd.o: override CPPFLAGS += $(shell $(PKG_CONFIG) --cflags $(CLOUD_PKGS))

# lib/pg/init.c embeds lib/pg/schema.sql with .incbin
$(OBJ)/lib/pg/init.o: lib/pg/schema.sql

$(OUT)/bin/sp-%: $(OBJ)/cmd/sp-%.o $(LIBSP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(OUT)/bin/sp-cloudd: $(OBJ)/cmd/sp-cloudd.o $(LIBSPCLOUD) $(LIBSP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell $(PKG_CONFIG) --libs $(CLOUD_PKGS))

# keep the tools' objects (intermediate in the pattern chain); lib objects are
# explicit prerequisites of the archives, so a new .c is always compiled
.SECONDARY: $(TOOLS:%=$(OBJ)/cmd/%.o)

deps:
	scripts/install-deps

# The layering of lib/LAYERS, checked on the objects (nm).
check-layers: all
	tests/layers $(OBJ) lib/LAYERS

# The README's test command: dependencies, build, then every test.
check: deps
	$(MAKE) -j$$(nproc 2>/dev/null || echo 2) all
	tests/run

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
ASAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
asan: deps
	$(MAKE) -j$$(nproc 2>/dev/null || echo 2) OUT=build/asan CFLAGS='$(ASAN_FLAGS)' LDFLAGS='-fsanitize=address,undefined' all
	SP_SANITIZED=1 SP_BIN=$(CURDIR)/build/asan/bin ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run

bench: deps all
	tests/bench/run

# libFuzzer targets: every tests/fuzz/fuzz_*.c, linked with the library
# built by clang with ASan and UBSan in build/fuzz. `make fuzz` runs each
# for FUZZ_TIME seconds (default 60); corpora stay in build/fuzz/.
FUZZ_TIME ?= 60
FUZZ_CFLAGS = -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
FUZZ_BINS = $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

fuzz: all $(FUZZ_BINS)
	tests/fuzz/run $(FUZZ_TIME) $(FUZZ_BINS)

fuzz-lib:
	$(MAKE) -j$$(nproc 2>/dev/null || echo 2) OUT=build/fuzz CC=clang CFLAGS='$(FUZZ_CFLAGS)' build/fuzz/obj/lib/libsp.a

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c fuzz-lib
	clang $(CPPFLAGS) -std=gnu11 $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		build/fuzz/obj/lib/libsp.a $(LDLIBS)

demo: deps
	$(MAKE) all
	scripts/demo

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DATADIR)
	install -m 755 $(BINS) $(SCRIPTS) $(DESTDIR)$(BINDIR)
	$(if $(MAN1),install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1)
	$(if $(MAN7),install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7)
	$(if $(MAN8),install -m 644 $(MAN8) $(DESTDIR)$(MANDIR)/man8)
	install -m 644 scripts/sync.mk scripts/sp-lib.sh $(DESTDIR)$(DATADIR)

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(BINDIR)/%) $(SCRIPTS:scripts/%=$(DESTDIR)$(BINDIR)/%) \
		$(MAN1:man/%=$(DESTDIR)$(MANDIR)/%) $(MAN7:man/%=$(DESTDIR)$(MANDIR)/%) \
		$(MAN8:man/%=$(DESTDIR)$(MANDIR)/%) $(DESTDIR)$(DATADIR)/sync.mk $(DESTDIR)$(DATADIR)/sp-lib.sh
	-rmdir $(DESTDIR)$(DATADIR) 2>/dev/null

clean:
	rm -rf bin build

.PHONY: all deps check check-layers asan bench fuzz fuzz-lib demo install uninstall clean

-include $(LIBOBJ:.o=.d) $(CLOUDOBJ:.o=.d) $(TOOLS:%=$(OBJ)/cmd/%.d)
