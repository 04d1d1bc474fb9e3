# "make bench" (in the Makefile) runs bench/run, which builds these first
# with "make bench-tools".  The traffic helpers are plain gcc -O2 and link
# nothing of ours; rwbench drives the daemon's record writer, radbench
# the 802.1X session table, listbench the category lists' index.

BENCH_CC	 = gcc
BENCH_CFLAGS	 = -std=c11 -D_GNU_SOURCE -O2 -g $(WARN)
BENCH_TOOLS	 = $(BUILD)/bench/connbench $(BUILD)/bench/httpd \
		   $(BUILD)/bench/rwbench $(BUILD)/bench/radbench \
		   $(BUILD)/bench/listbench

.PHONY: bench-tools

bench-tools: $(BUILD)/schoolgate $(BENCH_TOOLS)

$(BUILD)/bench/connbench $(BUILD)/bench/httpd: $(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(BENCH_CC) $(BENCH_CFLAGS) -o $@ $<

$(BUILD)/bench/rwbench $(BUILD)/bench/radbench $(BUILD)/bench/listbench: \
    $(BUILD)/bench/%: bench/%.c \
    $(BUILD)/libschoolgate.a
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(CFLAGS) $(CPPFLAGS) -o $@ $< \
	    $(BUILD)/libschoolgate.a $(LDFLAGS) $(LDLIBS)
