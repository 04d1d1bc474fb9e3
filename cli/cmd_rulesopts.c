#include <stdio.h>
#include <string.h>

#include "cmd.h"

/*
 * "check-config --print-rules-opts": the options gateway-rules needs, taken
 * from the configuration so that the ruleset and the daemon cannot
 * disagree: the queues, our mark bits, fail-closed, and every LAN
 * interface a group names.  One line, for the unit's wrapper (scripts/schoolgate-rules).
 */

static int
seen_before(const struct sg_config *cfg, size_t gi, size_t ii)
{
	const char *name = cfg->groups[gi].interfaces[ii];

	for (size_t g = 0; g <= gi; g++)
		for (size_t i = 0; i < cfg->groups[g].ninterfaces; i++) {
			if (g == gi && i == ii)
				return 0;
			if (strcmp(cfg->groups[g].interfaces[i], name) == 0)
				return 1;
		}
	return 0;
}

void
cmd_print_rules_opts(const struct sg_config *cfg, FILE *out)
{
	fprintf(out, "--queues %u:%u --mark-mask 0x%08x", cfg->queue_first,
	    cfg->queue_count, cfg->mark_mask);
	if (!cfg->fail_open)
		fprintf(out, " --fail-closed");
	for (size_t g = 0; g < cfg->ngroups; g++)
		for (size_t i = 0; i < cfg->groups[g].ninterfaces; i++)
			if (!seen_before(cfg, g, i))
				fprintf(out, " --lan %s",
				    cfg->groups[g].interfaces[i]);
	fputc('\n', out);
}
