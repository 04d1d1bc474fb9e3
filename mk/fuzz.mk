# "make fuzz FUZZ_SECONDS=N": build the libFuzzer targets in tests/fuzz/
# with clang, ASan and UBSan into build/fuzz/, seed their corpora from the
# real captures and example configs, and run each for N seconds.  Fails
# if any target finds a crash; its input is left in
# build/fuzz/crashes/NAME/ (move it to tests/fuzz/regressions/NAME/).
# See docs/FUZZING.md.

FUZZ_SECONDS	?= 60
FUZZ_BUILD	 = build/fuzz
FUZZ_NAMES	 = packet pcap config leases dns records msg tlshello
FUZZ_BINS	 = $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_SAN	 = -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=undefined
FUZZ_SHARED	?= $(CURDIR)/../shared
# libconfig 1.5 leaks in strbuf_append on some syntax errors
FUZZ_ENV	 = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		   LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp \
		   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
FUZZ_FLAGS	?= -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
		   -print_final_stats=1

.PHONY: fuzz fuzz-build fuzz-seed fuzz-run

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzzutil.h \
    $(FUZZ_BUILD)/libschoolgate.a
	clang $(CSTD) $(WARN) -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) \
	    $(CPPFLAGS) -o $@ $< $(FUZZ_BUILD)/libschoolgate.a \
	    -fsanitize=fuzzer $(FUZZ_SAN) $(LDLIBS)

# The library is built with coverage but without libFuzzer's main, by the
# Makefile's own rules in a sub-make.
fuzz-build: DEPS_ROLES = --build --test
fuzz-build: deps
	$(MAKE) CC=clang BUILD=$(FUZZ_BUILD) HARDEN=0 \
	    OPT="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
	    $(FUZZ_BUILD)/libschoolgate.a
	$(MAKE) HARDEN=0 $(FUZZ_BINS)

fuzz-seed:
	rm -rf $(FUZZ_BUILD)/seeds
	python3 tests/fuzz/seed.py $(CURDIR) $(FUZZ_SHARED) $(FUZZ_BUILD)/seeds

# Each target: new inputs go to corpus/NAME; the seeds and any kept
# regressions are read as well.  "fuzz-run" skips the build and seeding,
# so several can run at once, one target each:
#   make fuzz-build fuzz-seed
#   make fuzz-run FUZZ_NAMES=pcap FUZZ_SECONDS=3600 &  (and so on)
fuzz: fuzz-build fuzz-seed
	@$(MAKE) --no-print-directory fuzz-run

fuzz-run:
	@set -e; for n in $(FUZZ_NAMES); do \
		mkdir -p $(FUZZ_BUILD)/corpus/$$n $(FUZZ_BUILD)/crashes/$$n \
		    tests/fuzz/regressions/$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
		$(FUZZ_ENV) $(FUZZ_BUILD)/fuzz_$$n $(FUZZ_FLAGS) \
		    -max_total_time=$(FUZZ_SECONDS) \
		    -artifact_prefix=$(FUZZ_BUILD)/crashes/$$n/ \
		    $(FUZZ_BUILD)/corpus/$$n $(FUZZ_BUILD)/seeds/$$n \
		    tests/fuzz/regressions/$$n \
		    >$(FUZZ_BUILD)/fuzz_$$n.log 2>&1 || { \
			tail -n 60 $(FUZZ_BUILD)/fuzz_$$n.log; \
			echo "fuzz: $$n FAILED (log: $(FUZZ_BUILD)/fuzz_$$n.log)"; \
			exit 1; }; \
		grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' \
		    $(FUZZ_BUILD)/fuzz_$$n.log | sed "s/^/fuzz: $$n /"; \
	done; echo "fuzz: all targets ran $(FUZZ_SECONDS)s without a crash"
