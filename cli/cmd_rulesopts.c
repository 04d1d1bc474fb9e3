#include <sys/types.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

/*
 * "check-config --print-rules-opts": the options gateway-rules needs, taken
 * from the configuration so that the ruleset and the daemon cannot
 * disagree: the queues, our mark bits, fail-closed, and every LAN
 * interface a group or daemon.lan_interfaces names.  One line, for the
 * unit's wrapper (scripts/schoolgate-rules).
 */

/* Every LAN interface the ruleset queues, each once, in config order. */
static size_t
queued_lans(const struct sg_config *cfg, const char **out, size_t max)
{
	size_t n = 0;

	for (size_t g = 0; g <= cfg->ngroups; g++) {
		char **v = g < cfg->ngroups ? cfg->groups[g].interfaces :
		    cfg->lan_interfaces;
		size_t nv = g < cfg->ngroups ? cfg->groups[g].ninterfaces :
		    cfg->nlan_interfaces;

		for (size_t i = 0; i < nv; i++) {
			size_t k;

			for (k = 0; k < n && strcmp(out[k], v[i]) != 0; k++)
				;
			if (k == n && n < max)
				out[n++] = v[i];
		}
	}
	return n;
}

#define RULES_MAX_LANS	256

void
cmd_print_rules_opts(const struct sg_config *cfg, FILE *out)
{
	const char *lans[RULES_MAX_LANS];
	size_t n = queued_lans(cfg, lans, RULES_MAX_LANS);

	fprintf(out, "--queues %u:%u --mark-mask 0x%08x", cfg->queue_first,
	    cfg->queue_count, cfg->mark_mask);
	if (!cfg->fail_open)
		fprintf(out, " --fail-closed");
	for (size_t i = 0; i < n; i++)
		fprintf(out, " --lan %s", lans[i]);
	fputc('\n', out);
}

/* The interface of this machine with an address in n, or NULL. */
static const char *
lan_of_subnet(const struct ifaddrs *ifs, const struct conf_cidr *n)
{
	struct sg_addr a;

	for (const struct ifaddrs *i = ifs; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		memset(&a, 0, sizeof(a));
		if (i->ifa_addr->sa_family == AF_INET) {
			a.family = AF_INET;
			memcpy(a.a, &((struct sockaddr_in *)(void *)
			    i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			a.family = AF_INET6;
			memcpy(a.a, &((struct sockaddr_in6 *)(void *)
			    i->ifa_addr)->sin6_addr, 16);
		} else
			continue;
		if (sg_addr_in_prefix(&a, &n->addr, n->prefix))
			return i->ifa_name;
	}
	return NULL;
}

/*
 * A group matched by subnet whose subnet sits on an interface of this
 * machine that the ruleset does not queue: its traffic would pass
 * uninspected.  Checked against the machine it runs on (the gateway);
 * elsewhere no interface holds the subnets and nothing is said.
 */
int
cmd_check_lan_cover(const struct sg_config *cfg, FILE *out)
{
	const char *lans[RULES_MAX_LANS];
	size_t n = queued_lans(cfg, lans, RULES_MAX_LANS);
	struct ifaddrs *ifs;
	int uncovered = 0;

	if (getifaddrs(&ifs) == -1)
		return 0;
	for (size_t g = 0; g < cfg->ngroups; g++)
		for (size_t s = 0; s < cfg->groups[g].nsubnets; s++) {
			const struct conf_cidr *c = &cfg->groups[g].subnets[s];
			const char *ifn = lan_of_subnet(ifs, c);
			char buf[SG_ADDRSTR_MAX];
			size_t k;

			for (k = 0; ifn != NULL && k < n &&
			    strcmp(lans[k], ifn) != 0; k++)
				;
			if (ifn == NULL || k < n)
				continue;
			fprintf(out, "%s:%d: warning: group \"%s\": subnet %s/%u is on "
			    "interface %s, which no group's interfaces and no "
			    "daemon.lan_interfaces name: its traffic is not "
			    "inspected\n", cfg->path, cfg->groups[g].line,
			    cfg->groups[g].name, sg_addr_str(&c->addr, buf,
			    sizeof(buf)), c->prefix, ifn);
			uncovered++;
		}
	freeifaddrs(ifs);
	return uncovered;
}
