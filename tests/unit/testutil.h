/* Helpers shared by the unit tests (header-only: each test is one file). */
#ifndef SG_TESTUTIL_H
#define SG_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

/* Write text to a fresh temporary file; returns its malloc'd path. */
static inline char *
tu_write_temp(const char *text)
{
	char *path = strdup("/tmp/sg-test-XXXXXX");
	int fd;

	if (path == NULL || (fd = mkstemp(path)) == -1)
		abort();
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
	return path;
}

/* Load a config from text; aborts the test with its errors if any. */
static inline struct sg_config *
tu_load_config(const char *text)
{
	struct conf_errors errs = { NULL, 0 };
	struct sg_config *cfg;
	char *path = tu_write_temp(text);

	cfg = conf_load(path, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	conf_errors_clear(&errs);
	unlink(path);
	free(path);
	return cfg;
}

/* Unix time of a UTC wall-clock moment. */
static inline time_t
tu_utc(int y, int mo, int d, int h, int mi)
{
	return (time_t)sg_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

/* An address or MAC the test spells out; aborts the test if it is bad. */
static inline struct sg_addr
tu_ip(const char *s)
{
	struct sg_addr a;

	if (sg_addr_parse(s, &a) == -1) {
		fprintf(stderr, "tu_ip: bad address %s\n", s);
		abort();
	}
	return a;
}

static inline void
tu_mac(const char *s, uint8_t m[6])
{
	if (sg_mac_parse(s, m) == -1) {
		fprintf(stderr, "tu_mac: bad MAC %s\n", s);
		abort();
	}
}

#endif
