# schoolgate: see README.md.  "make" builds, "make check" installs the
# dependencies and runs every test, "make demo" runs the simulated school.

CC	?= cc
PKGS	 = libnetfilter_queue libmnl libnetfilter_conntrack libpcap \
	   libconfig jansson sqlite3 libgcrypt libcap libseccomp libqrencode
# nDPI's headers only: classifiers/ndpi.c dlopen()s the library, so a
# process that builds no classifier never maps it (docs/PRIVSEP.md).
PKG_CFLAGS != pkg-config --cflags libndpi $(PKGS) 2>/dev/null || true
PKG_LIBS   != pkg-config --libs $(PKGS) 2>/dev/null || true

WARN	 = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wpointer-arith \
	   -Wno-unused-parameter
CSTD	 = -std=c11 -D_GNU_SOURCE
OPT	?= -O2 -g
CFLAGS	?=
# Release builds get Debian's hardening flags (stack protector,
# _FORTIFY_SOURCE=2, full RELRO, PIE); the sanitizer and fuzz builds set
# HARDEN=0.  Flags given on the command line or by dh come on top.
HARDEN	?= 1
ifeq ($(HARDEN),1)
HARDEN_ENV	 = DEB_BUILD_MAINT_OPTIONS=hardening=+all
HARDEN_CFLAGS	!= $(HARDEN_ENV) dpkg-buildflags --get CFLAGS 2>/dev/null || \
		   echo -fstack-protector-strong -Wformat -Werror=format-security
HARDEN_CPPFLAGS	!= $(HARDEN_ENV) dpkg-buildflags --get CPPFLAGS 2>/dev/null || \
		   echo -D_FORTIFY_SOURCE=2
HARDEN_LDFLAGS	!= $(HARDEN_ENV) dpkg-buildflags --get LDFLAGS 2>/dev/null || \
		   echo -Wl,-z,relro -Wl,-z,now
CFLAGS		+= $(HARDEN_CFLAGS) -fPIE
CPPFLAGS	+= $(HARDEN_CPPFLAGS)
LDFLAGS		+= $(HARDEN_LDFLAGS) -pie
endif
# One folder per role (docs/ARCHITECTURE.md); headers are included by name.
SRC_DIRS = common filter classifiers policy records daemon cli report
CPPFLAGS += $(SRC_DIRS:%=-I%) $(PKG_CFLAGS)
LDLIBS	 = $(PKG_LIBS) -lm -ldl -lpthread

BUILD	?= build/release
SAN	 = -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined

LIB_SRCS := $(sort $(filter-out cli/main.c, \
	    $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c))))
LIB_OBJS  = $(LIB_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS  = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
# small programs the shell tests drive (not tests themselves)
TOOL_SRCS := $(sort $(wildcard tests/tools/*.c))
TOOL_BINS  = $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tools/%)

PREFIX	?= /usr/local
DESTDIR	?=

.PHONY: all clean deps check test unit-tests build-gcc build-san demo bench

all: $(BUILD)/schoolgate
	@ln -sf $(BUILD)/schoolgate schoolgate

$(BUILD)/%.o: %.c $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.h))
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

$(BUILD)/libschoolgate.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/schoolgate: $(BUILD)/cli/main.o $(BUILD)/libschoolgate.a
	$(CC) $(OPT) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libschoolgate.a
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(CFLAGS) $(CPPFLAGS) -o $@ $< \
	    $(BUILD)/libschoolgate.a $(LDFLAGS) $(LDLIBS) -lcmocka

$(BUILD)/tools/%: tests/tools/%.c $(BUILD)/libschoolgate.a
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(CFLAGS) $(CPPFLAGS) -o $@ $< \
	    $(BUILD)/libschoolgate.a $(LDFLAGS) $(LDLIBS)

unit-tests: $(UNIT_BINS) $(TOOL_BINS)

# Each target asks scripts/install-deps for its own roles; "make deps"
# alone installs them all.
DEPS_ROLES ?=
deps:
	bash scripts/install-deps $(DEPS_ROLES)

# The release build with gcc proves -Werror cleanliness there; the tests
# run on a clang build under AddressSanitizer and UBSan.
build-gcc:
	$(MAKE) CC=gcc BUILD=build/gcc all

build-san:
	$(MAKE) CC=clang BUILD=build/san OPT="-O1 -g $(SAN)" HARDEN=0 \
	    LDFLAGS="$(SAN)" build/san/schoolgate unit-tests

test: build-san
	bash tests/run-all build/san

check: DEPS_ROLES = --build --test
check: deps
	$(MAKE) build-gcc
	$(MAKE) test

# pkg-config runs when a make parses this file, so whatever "deps" installs
# is seen only by a sub-make: on a fresh machine "make demo" would
# otherwise compile without nDPI's headers.
demo: DEPS_ROLES = --build --demo
demo: deps
	$(MAKE) all
	bash scripts/demo

bench: DEPS_ROLES = --build --demo --bench
bench: deps
	$(MAKE) all
	bash bench/run

clean:
	rm -rf build schoolgate

# fragments: install, fuzz, bench, report...
include $(sort $(wildcard mk/*.mk))
