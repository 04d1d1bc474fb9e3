#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "classify.h"
#include "cmd.h"
#include "hostpat.h"
#include "identity.h"
#include "output.h"
#include "policy.h"
#include "schedule.h"

struct explain_opts {
	const char	*conf;
	const char	*device;
	const char	*host;
	const char	*app;
	const char	*at;
	const char	*group;
};

static void
explain_usage(FILE *out)
{
	fprintf(out,
	    "usage: schoolgate explain [-c CONF] --device MAC|IP --host NAME\n"
	    "                          [--app NAME] --at 'YYYY-MM-DD HH:MM'\n"
	    "                          [--as-group G]\n\n"
	    "Show, step by step, who the device is, what the host is, whether\n"
	    "school hours apply, and which rule decides and why, including\n"
	    "professional-account exemptions.\n\n"
	    "  -c CONF    configuration (default %s)\n"
	    "  --device   the device's MAC address or IP address\n"
	    "  --host     the name it connects to (SNI, Host or DNS name)\n"
	    "  --app      the nDPI application, if known (e.g. Facebook);\n"
	    "             otherwise nDPI's host list is asked\n"
	    "  --at       the time, in the school's time zone\n"
	    "  --as-group treat the device as a member of this group\n",
	    SG_DEFAULT_CONF);
}

static int
explain_parse(int argc, char **argv, struct explain_opts *o)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "host", required_argument, NULL, 'H' },
		{ "app", required_argument, NULL, 'a' },
		{ "at", required_argument, NULL, 't' },
		{ "as-group", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->conf = SG_DEFAULT_CONF;
	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->conf = optarg; break;
		case 'd': o->device = optarg; break;
		case 'H': o->host = optarg; break;
		case 'a': o->app = optarg; break;
		case 't': o->at = optarg; break;
		case 'g': o->group = optarg; break;
		default: return -1;
		}
	}
	if (optind != argc || o->device == NULL || o->host == NULL ||
	    o->at == NULL)
		return -1;
	return 0;
}

static void
explain_trace(void *arg, const char *fmt, ...)
{
	int *step = arg;
	va_list ap;

	printf("  %d. ", ++*step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* The 802.1X sessions FreeRADIUS has written so far. */
static void
explain_radius(const struct sg_config *cfg, struct rad_follow *rf)
{
	char err[256];

	rad_follow_init(rf, cfg->radius_detail, cfg->nradius_detail);
	if (cfg->nradius_detail > 0 &&
	    rad_follow_poll(rf, err, sizeof(err)) == -1)
		printf("(RADIUS accounting not fully read: %s)\n", err);
}

static int
explain_identity(const struct sg_config *cfg, const struct explain_opts *o,
    const struct rad_table *radius, struct ident *id)
{
	struct leases leases = { NULL, 0 };
	struct ident_data data = { &leases, radius };
	struct sg_addr ip;
	uint8_t mac[6];
	char err[256];
	int as_group = -1;
	bool is_mac;

	memset(&ip, 0, sizeof(ip));
	is_mac = sg_mac_parse(o->device, mac) == 0;
	if (!is_mac && sg_addr_parse(o->device, &ip) == -1) {
		fprintf(stderr, "schoolgate: --device wants a MAC or IP address, "
		    "not \"%s\"\n", o->device);
		return -1;
	}
	if (o->group && (as_group = conf_group_index(cfg, o->group)) < 0) {
		fprintf(stderr, "schoolgate: unknown group \"%s\"\n", o->group);
		return -1;
	}
	if (cfg->leases_path && leases_load(cfg->leases_path, cfg->leases_format,
	    &leases, err, sizeof(err)) == -1)
		printf("(leases not read: %s)\n", err);
	ident_resolve(cfg, &data, is_mac ? mac : NULL, &ip, NULL, as_group,
	    id);
	leases_free(&leases);
	return 0;
}

static void
print_session(const struct rad_table *t, const struct ident *id)
{
	const struct rad_session *s = rad_find_ip(t, &id->ip);
	char buf[SG_NAME_MAX * 4 + 1], addr[SG_ADDRSTR_MAX], mac[18];
	time_t started;
	struct tm tm;

	if (s == NULL && id->has_mac)
		s = rad_find_mac(t, id->mac);
	if (s == NULL) {
		printf("802.1X:   no session\n");
		return;
	}
	printf("802.1X:   %s session of \"%s\"", id->source == IDSRC_8021X ?
	    "signed in:" : "NOT USED:", sg_printable(s->user, buf,
	    sizeof(buf)));
	if (s->ip4.family != 0)
		printf(", %s", sg_addr_str(&s->ip4, addr, sizeof(addr)));
	if (s->ip6.family != 0)
		printf(", %s", sg_addr_str(&s->ip6, addr, sizeof(addr)));
	if (s->has_mac)
		printf(", MAC %s", sg_mac_str(s->mac, mac, sizeof(mac)));
	if (s->started != 0) {
		started = (time_t)s->started;
		localtime_r(&started, &tm);
		strftime(addr, sizeof(addr), "%Y-%m-%d %H:%M", &tm);
		printf(", since %s", addr);
	}
	if (s->sid[0] != '\0')
		printf(", Acct-Session-Id %s", sg_printable(s->sid, buf,
		    sizeof(buf)));
	if (id->session_refused != NULL)
		printf(" (%s)", id->session_refused);
	putchar('\n');
}

static void
print_identity(const struct sg_config *cfg, const struct ident *id)
{
	char mac[18];

	printf("Device:   ");
	if (id->device >= 0)
		printf("%s%s", cfg->devices[id->device].name,
		    cfg->devices[id->device].school_owned ? " (school-owned)" : "");
	else
		printf("not registered");
	if (id->has_mac)
		printf(", MAC %s", sg_mac_str(id->mac, mac, sizeof(mac)));
	printf("\nPerson:   %s\n", id->person >= 0 ?
	    cfg->people[id->person].name : "unknown");
	printf("Group:    %s (by %s)\n", cfg->groups[id->group].name, id->how);
	printf("Identity: from %s (trusted in this order: 8021x, registered, "
	    "lease, interface or subnet)\n", ident_source_name(id->source));
}

static void
print_categories(const struct sg_config *cfg, uint64_t cats)
{
	printf("Category: ");
	if (cats == 0)
		printf("none of the school's categories");
	for (size_t i = 0, n = 0; i < cfg->ncategories; i++)
		if (cats & (UINT64_C(1) << i))
			printf("%s%s", n++ ? ", " : "", cfg->categories[i].name);
	putchar('\n');
}

static void
print_time(const struct sg_config *cfg, time_t when)
{
	char buf[64], desc[160];
	struct tm tm;

	localtime_r(&when, &tm);
	strftime(buf, sizeof(buf), "%A %d %B %Y %H:%M %Z", &tm);
	printf("Time:     %s (%s)\n", buf, cfg->timezone);
	if (cfg->school_hours >= 0) {
		sched_describe(&cfg->schedules[cfg->school_hours], desc,
		    sizeof(desc));
		printf("School hours: %s\n", desc);
	}
}

static int
explain_app(const struct sg_config *cfg, const struct explain_opts *o,
    char *proto, size_t len)
{
	struct cls_module *m;
	char err[256];

	if (o->app) {
		snprintf(proto, len, "%s", o->app);
		return 0;
	}
	proto[0] = '\0';
	if ((m = cls_module_new(cfg->protocols_file, err, sizeof(err))) == NULL) {
		fprintf(stderr, "schoolgate: nDPI: %s\n", err);
		return -1;
	}
	cls_app_for_host(m, o->host, proto, len);
	cls_module_free(m);
	return 0;
}

static const char *
verdict_words(enum sg_action a)
{
	switch (a) {
	case SG_BLOCK:	return "BLOCK (the connection is refused)";
	case SG_LOG:	return "LOG (allowed, and recorded as a breach)";
	default:	return "ALLOW";
	}
}

static int
explain_run(const struct sg_config *cfg, const struct explain_opts *o)
{
	char host[SG_HOST_MAX], proto[SG_APP_MAX], shown[SG_HOST_MAX * 4 + 1];
	struct policy_decision d;
	struct policy_flow f;
	struct rad_follow rf;
	struct ident id;
	time_t when;
	int step = 0, rc = 1;

	if (sched_parse_local(o->at, &when) == -1) {
		fprintf(stderr, "schoolgate: --at wants 'YYYY-MM-DD HH:MM', not "
		    "\"%s\"\n", o->at);
		return 1;
	}
	if (!hostpat_normalise(o->host, host, sizeof(host))) {
		fprintf(stderr, "schoolgate: \"%s\" is not a host name\n",
		    sg_printable(o->host, shown, sizeof(shown)));
		return 1;
	}
	explain_radius(cfg, &rf);
	if (explain_identity(cfg, o, &rf.table, &id) == -1 ||
	    explain_app(cfg, o, proto, sizeof(proto)) == -1)
		goto done;
	print_identity(cfg, &id);
	if (cfg->nradius_detail > 0)
		print_session(&rf.table, &id);
	printf("Host:     %s\nApp:      %s\n", host, proto[0] ? proto :
	    "not known to nDPI by name");
	memset(&f, 0, sizeof(f));
	f.id = &id;
	f.master = "";
	f.proto = proto;
	f.host = host;
	f.categories = policy_categories(cfg, "", proto, host);
	f.when = when;
	print_categories(cfg, f.categories);
	print_time(cfg, when);
	printf("\nRules, in order (the first that matches decides):\n");
	policy_decide(cfg, &f, &d, explain_trace, &step);
	printf("\nDecision: %s\n", verdict_words(d.action));
	printf("  by %s%s%s\n", d.account >= 0 ? "professional account " : "rule ",
	    d.account >= 0 ? cfg->accounts[d.account].name : d.rule_name,
	    d.account >= 0 ? " (clause 6.8)" : "");
	if (d.account < 0 && d.clause[0])
		printf("  policy clause %s\n", d.clause);
	rc = 0;
 done:
	rad_follow_free(&rf);
	return rc;
}

int
cmd_explain(int argc, char **argv)
{
	struct explain_opts o;
	struct sg_config *cfg;
	int rc;

	if (cmd_wants_help(argc, argv)) {
		explain_usage(stdout);
		return 0;
	}
	if (explain_parse(argc, argv, &o) == -1) {
		explain_usage(stderr);
		return 2;
	}
	if ((cfg = cmd_load_config(o.conf)) == NULL)
		return 1;
	rc = explain_run(cfg, &o);
	conf_free(cfg);
	return rc;
}
