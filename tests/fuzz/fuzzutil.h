/*
 * Shared by the fuzz targets (tests/fuzz/fuzz_*.c) and the regression
 * test that replays their crash inputs (tests/unit/test_fuzz_regressions.c,
 * which includes every target with FUZZ_NO_MAIN defined).  Each target's
 * body is fuzz_one_NAME(data, size); only the libFuzzer build gets the
 * LLVMFuzzerTestOneInput wrapper.
 */
#ifndef SG_FUZZUTIL_H
#define SG_FUZZUTIL_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "schedule.h"

/*
 * The checkout's top directory: the first parent of the executable that
 * holds conf/schoolgate.conf, so targets run from any working directory
 * and any build directory depth.  Cached; "" if not found.
 */
static inline const char *
fuzz_top(void)
{
	static char top[PATH_MAX];
	static int done;
	char probe[PATH_MAX + 32];
	char *slash;
	ssize_t n;

	if (done)
		return top;
	done = 1;
	if ((n = readlink("/proc/self/exe", top, sizeof(top) - 1)) <= 0) {
		top[0] = '\0';
		return top;
	}
	top[n] = '\0';
	while ((slash = strrchr(top, '/')) != NULL) {
		*slash = '\0';
		snprintf(probe, sizeof(probe), "%s/conf/schoolgate.conf", top);
		if (access(probe, R_OK) == 0)
			return top;
	}
	top[0] = '\0';
	return top;
}

/* The example config, loaded once; aborts if it does not load, since
 * every input would otherwise test nothing. */
static inline struct sg_config *
fuzz_config(void)
{
	static struct sg_config *cfg;
	struct conf_errors errs = { NULL, 0 };
	char path[PATH_MAX + 32];

	if (cfg != NULL)
		return cfg;
	snprintf(path, sizeof(path), "%s/conf/schoolgate.conf", fuzz_top());
	if ((cfg = conf_load(path, &errs)) == NULL ||
	    sched_set_timezone(cfg->timezone) == -1) {
		fprintf(stderr, "fuzz: cannot load %s\n", path);
		abort();
	}
	return cfg;
}

/*
 * The input as a file, in memory: fd and "/proc/self/fd/N" in path.  The
 * caller closes fd.  -1 if memfd is unavailable.
 */
static inline int
fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t pathlen)
{
	size_t off = 0;
	ssize_t n;
	int fd;

	if ((fd = memfd_create("fuzz", 0)) == -1)
		return -1;
	while (off < size) {
		if ((n = write(fd, data + off, size - off)) <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return fd;
}

/* Output that goes nowhere but still runs the formatting code. */
static inline FILE *
fuzz_devnull(void)
{
	static FILE *f;

	if (f == NULL && (f = fopen("/dev/null", "w")) == NULL)
		abort();
	return f;
}

#endif
