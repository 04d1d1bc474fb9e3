/*
 * Every input a fuzzer ever crashed on, kept in tests/fuzz/regressions/
 * NAME/, replayed through the same fuzz_one_NAME() the fuzzer runs (the
 * targets are included here without libFuzzer's main).  Under the
 * sanitizer build a regression aborts with the sanitizer's report.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#define FUZZ_NO_MAIN
#include "../fuzz/fuzz_packet.c"
#include "../fuzz/fuzz_pcap.c"
#include "../fuzz/fuzz_config.c"
#include "../fuzz/fuzz_leases.c"
#include "../fuzz/fuzz_dns.c"
#include "../fuzz/fuzz_records.c"
#include "../fuzz/fuzz_msg.c"
#include "../fuzz/fuzz_tlshello.c"

/* As tests/fuzz/lsan.supp: libconfig 1.5's own leaks on syntax errors. */
const char	*__lsan_default_suppressions(void);

const char *
__lsan_default_suppressions(void)
{
	return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

typedef int	 fuzz_fn(const uint8_t *, size_t);

static uint8_t *
slurp(const char *path, size_t *len)
{
	uint8_t *buf = NULL;
	struct stat st;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &st) == -1)
		fail_msg("%s: cannot read", path);
	*len = (size_t)st.st_size;
	if ((buf = malloc(*len ? *len : 1)) == NULL ||
	    (*len && fread(buf, *len, 1, f) != 1))
		fail_msg("%s: cannot read", path);
	fclose(f);
	return buf;
}

/* Feed every file in regressions/NAME; returns how many. */
static size_t
replay(const char *name, fuzz_fn *fn)
{
	char dir[PATH_MAX + 64], path[PATH_MAX + 400];
	struct dirent *de;
	size_t n = 0, len;
	uint8_t *buf;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/tests/fuzz/regressions/%s", fuzz_top(),
	    name);
	if ((d = opendir(dir)) == NULL)
		fail_msg("%s: missing (every target keeps at least one input)",
		    dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		buf = slurp(path, &len);
		print_message("%s: %s (%zu bytes)\n", name, de->d_name, len);
		assert_int_equal(fn(buf, len), 0);
		free(buf);
		n++;
	}
	closedir(d);
	return n;
}

#define REPLAY(name)							\
static void								\
test_##name(void **state)						\
{									\
	assert_true(replay(#name, fuzz_one_##name) > 0);		\
}
REPLAY(packet)
REPLAY(pcap)
REPLAY(config)
REPLAY(leases)
REPLAY(dns)
REPLAY(records)
REPLAY(msg)
REPLAY(tlshello)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packet),
		cmocka_unit_test(test_pcap),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_leases),
		cmocka_unit_test(test_dns),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_msg),
		cmocka_unit_test(test_tlshello),
	};

	if (fuzz_top()[0] == '\0') {
		fprintf(stderr, "cannot find the checkout above the binary\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
