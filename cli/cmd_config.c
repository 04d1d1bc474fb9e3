#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static void
check_config_warn(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s\n", msg);
}

static void
check_config_usage(FILE *out)
{
	fprintf(out,
	    "usage: schoolgate check-config [-c FILE] [--print-rules-opts]\n\n"
	    "Parse and validate the configuration (default %s).\n"
	    "Prints \"configuration OK\", or every error as FILE:LINE: message\n"
	    "and exits 1.  Also checks the protocols file line by line and\n"
	    "every nDPI protocol name the categories, rules and accounts use\n"
	    "against nDPI 4.2: \"run\" and \"reload\" check exactly the\n"
	    "same.  Warnings (valid, but probably not meant) go to stderr\n"
	    "and do not fail the check.\n\n"
	    "  -c FILE             the configuration file\n"
	    "  --print-rules-opts  if it is valid, print gateway-rules' options\n"
	    "                      from it (queues, --fail-closed, --lan)\n",
	    SG_DEFAULT_CONF);
}

int
cmd_check_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "print-rules-opts", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = SG_DEFAULT_CONF;
	struct sg_config *cfg;
	int ch, rules_opts = 0;

	if (cmd_wants_help(argc, argv)) {
		check_config_usage(stdout);
		return 0;
	}
	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'R':
			rules_opts = 1;
			break;
		default:
			check_config_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		check_config_usage(stderr);
		return 2;
	}
	/* the same checks as run and reload */
	if ((cfg = cmd_load_config_checked(path)) == NULL)
		return 1;
	conf_warnings(cfg, check_config_warn, NULL);
	(void)cmd_check_lan_cover(cfg, stderr);
	if (rules_opts)
		cmd_print_rules_opts(cfg, stdout);
	else
		printf("configuration OK\n");
	conf_free(cfg);
	return 0;
}
