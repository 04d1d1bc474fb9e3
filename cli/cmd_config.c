#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "classify.h"
#include "cmd.h"

static void
check_config_usage(FILE *out)
{
	fprintf(out,
	    "usage: schoolgate check-config [-c FILE] [--print-rules-opts]\n\n"
	    "Parse and validate the configuration (default %s).\n"
	    "Prints \"configuration OK\", or every error as FILE:LINE: message\n"
	    "and exits 1.  Also checks every nDPI protocol name the categories,\n"
	    "rules and accounts use against nDPI 4.2.\n\n"
	    "  -c FILE             the configuration file\n"
	    "  --print-rules-opts  if it is valid, print gateway-rules' options\n"
	    "                      from it (queues, --fail-closed, --lan)\n",
	    SG_DEFAULT_CONF);
}

static int
check_protocol(struct cls_module *m, const struct sg_config *cfg,
    const char *name, int line)
{
	if (cls_protocol_known(m, name))
		return 0;
	fprintf(stderr, "%s:%d: nDPI 4.2 has no protocol \"%s\" (use a host "
	    "pattern for sites it lacks)\n", cfg->path, line, name);
	return 1;
}

/* Names are only checkable with nDPI loaded, so this lives here and not
 * in the config loader, which must stay free of nDPI. */
static int
check_protocol_names(const struct sg_config *cfg)
{
	struct cls_module *m;
	char err[256];
	int bad = 0;

	if ((m = cls_module_new(cfg->protocols_file, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s: %s\n", cfg->path, err);
		return 1;
	}
	for (size_t i = 0; i < cfg->ncategories; i++)
		for (size_t j = 0; j < cfg->categories[i].nprotocols; j++)
			bad += check_protocol(m, cfg, cfg->categories[i].protocols[j],
			    cfg->categories[i].line);
	for (size_t i = 0; i < cfg->nrules; i++)
		for (size_t j = 0; j < cfg->rules[i].napps; j++)
			bad += check_protocol(m, cfg, cfg->rules[i].apps[j],
			    cfg->rules[i].line);
	for (size_t i = 0; i < cfg->naccounts; i++)
		if (cfg->accounts[i].app != NULL)
			bad += check_protocol(m, cfg, cfg->accounts[i].app,
			    cfg->accounts[i].line);
	cls_module_free(m);
	return bad;
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
	int ch, bad, rules_opts = 0;

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
	if ((cfg = cmd_load_config(path)) == NULL)
		return 1;
	if ((bad = check_protocol_names(cfg)) == 0) {
		if (rules_opts)
			cmd_print_rules_opts(cfg, stdout);
		else
			printf("configuration OK\n");
	}
	conf_free(cfg);
	return bad ? 1 : 0;
}
