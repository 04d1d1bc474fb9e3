/*
 * The config loader on any file an admin might write: conf_load parses
 * with libconfig, then validates and resolves every cross reference.
 * libconfig 1.5 leaks in strbuf_append on some syntax errors (see
 * lsan.supp); everything else must be freed.
 */
#include "fuzzutil.h"

int
fuzz_one_config(const uint8_t *data, size_t size)
{
	struct conf_errors errs = { NULL, 0 };
	struct sg_config *cfg;
	char path[64];
	int fd;

	/* @include would read files from the fuzzer's disk: not the input */
	if (memmem(data, size, "@include", 8) != NULL)
		return 0;
	if ((fd = fuzz_memfile(data, size, path, sizeof(path))) == -1)
		return 0;
	if ((cfg = conf_load(path, &errs)) != NULL) {
		(void)conf_group_index(cfg, "staff");
		(void)conf_category_index(cfg, "circumvention");
		conf_free(cfg);
	}
	conf_errors_clear(&errs);
	close(fd);
	return 0;
}

#ifndef FUZZ_NO_MAIN
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_one_config(data, size);
}
#endif
