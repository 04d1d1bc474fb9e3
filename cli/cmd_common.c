#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "schedule.h"

int
cmd_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

struct sg_config *
cmd_load(const char *path, struct sg_config *(*load)(const char *,
    struct conf_errors *))
{
	struct conf_errors errs = { NULL, 0 };
	struct sg_config *cfg;

	if ((cfg = load(path, &errs)) == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		if (errs.n == 0)
			fprintf(stderr, "%s: cannot load configuration\n", path);
		conf_errors_clear(&errs);
		return NULL;
	}
	if (sched_set_timezone(cfg->timezone) == -1) {
		fprintf(stderr, "%s: time zone \"%s\" is not installed\n", path,
		    cfg->timezone);
		conf_free(cfg);
		return NULL;
	}
	return cfg;
}

struct sg_config *
cmd_load_config(const char *path)
{
	return cmd_load(path, conf_load);
}

struct sg_config *
cmd_load_config_checked(const char *path)
{
	return cmd_load(path, conf_load_checked);
}
