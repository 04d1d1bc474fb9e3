#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

void
out_table_header(FILE *fp)
{
	fprintf(fp, "%-22s %-26s %-5s %-20s %-15s %-28s %-6s %-28s %-6s %6s %9s\n",
	    "SOURCE", "DESTINATION", "PROTO", "APP", "CATEGORY", "HOST", "ACTION",
	    "RULE", "CLAUSE", "PKTS", "BYTES");
}

static void
endpoints(const struct flow *f, char *src, char *dst, size_t len)
{
	flow_key_str(&f->key, src, dst, len);
}

static void
out_flow_table(FILE *fp, const struct eng_flow_view *v,
    const struct rec_flow *r)
{
	char src[SG_ADDRSTR_MAX + 8], dst[SG_ADDRSTR_MAX + 8];
	char host[SG_HOST_MAX * 4 + 1], app[SG_APP_MAX * 4 + 1];

	endpoints(v->flow, src, dst, sizeof(src));
	sg_printable(r->host, host, sizeof(host));
	sg_printable(r->app, app, sizeof(app));
	fprintf(fp, "%-22s %-26s %-5s %-20s %-15s %-28s %-6s %-28s %-6s %6llu "
	    "%9llu\n", src, dst, r->transport, app,
	    r->category[0] ? r->category : "-", host[0] ? host : "-", r->action,
	    r->rule, r->clause[0] ? r->clause : "-",
	    (unsigned long long)(r->pkts_out + r->pkts_in),
	    (unsigned long long)(r->bytes_out + r->bytes_in));
}

static json_t *
flow_json(const struct eng_flow_view *v, const struct rec_flow *r)
{
	char src[SG_ADDRSTR_MAX + 8], dst[SG_ADDRSTR_MAX + 8];

	endpoints(v->flow, src, dst, sizeof(src));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
	    "s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:I, s:s}",
	    "src", src, "dst", dst, "transport", r->transport, "app", r->app,
	    "category", r->category, "host", r->host,
	    "host_source", r->host_source, "action", r->action,
	    "rule", r->rule, "clause", r->clause,
	    "packets", (json_int_t)(r->pkts_out + r->pkts_in),
	    "bytes", (json_int_t)(r->bytes_out + r->bytes_in),
	    "packets_out", (json_int_t)r->pkts_out,
	    "bytes_out", (json_int_t)r->bytes_out,
	    "device", r->device, "person", r->person, "group", r->group,
	    "mac", r->mac, "in_school_hours", r->in_school_hours,
	    "start_us", (json_int_t)r->start_us, "end_us", (json_int_t)r->end_us,
	    "decided_after_packets", (json_int_t)v->decided_after,
	    "source", r->source);
}

void
out_flow(FILE *fp, bool json, const struct eng_flow_view *v,
    const struct rec_flow *r)
{
	json_t *o;

	if (!json) {
		out_flow_table(fp, v, r);
		return;
	}
	if ((o = flow_json(v, r)) == NULL)
		return;
	json_dumpf(o, fp, JSON_COMPACT | JSON_ENSURE_ASCII);
	fputc('\n', fp);
	json_decref(o);
}

static struct out_app_count *
app_slot(struct out_summary *s, const char *app)
{
	struct out_app_count *v;

	for (size_t i = 0; i < s->napps; i++)
		if (strcmp(s->apps[i].app, app) == 0)
			return &s->apps[i];
	if ((v = realloc(s->apps, (s->napps + 1) * sizeof(*v))) == NULL)
		return NULL;
	s->apps = v;
	v = &s->apps[s->napps++];
	memset(v, 0, sizeof(*v));
	snprintf(v->app, sizeof(v->app), "%s", app);
	return v;
}

static int
action_index(const char *a)
{
	enum sg_action act;

	return sg_action_parse(a, &act) == 0 ? (int)act : 0;
}

void
out_summary_add(struct out_summary *s, const struct rec_flow *r)
{
	struct out_app_count *a;
	int act = action_index(r->action);

	s->flows++;
	s->actions[act]++;
	if ((a = app_slot(s, r->app)) != NULL) {
		a->flows++;
		a->actions[act]++;
	}
}

void
out_summary_engine(struct out_summary *s, const struct eng_stats *st)
{
	s->packets += st->packets;
	for (int i = 0; i < DEC_NRESULTS; i++)
		s->skipped[i] += st->skipped[i];
}

static int
by_flows(const void *a, const void *b)
{
	const struct out_app_count *x = a, *y = b;

	if (x->flows != y->flows)
		return x->flows < y->flows ? 1 : -1;
	return strcmp(x->app, y->app);
}

void
out_summary_print(FILE *fp, struct out_summary *s)
{
	char app[SG_APP_MAX * 4 + 1];

	if (s->napps > 0)
		qsort(s->apps, s->napps, sizeof(*s->apps), by_flows);
	fprintf(fp, "\nSummary: %u file(s)", s->files);
	if (s->failed_files)
		fprintf(fp, ", %u could not be read", s->failed_files);
	fprintf(fp, "; %llu packets, %llu flows: %llu allowed, %llu logged, "
	    "%llu blocked\n", (unsigned long long)s->packets,
	    (unsigned long long)s->flows,
	    (unsigned long long)s->actions[SG_ALLOW],
	    (unsigned long long)s->actions[SG_LOG],
	    (unsigned long long)s->actions[SG_BLOCK]);
	fprintf(fp, "  %-30s %6s %6s %6s %6s\n", "APP", "FLOWS", "ALLOW", "LOG",
	    "BLOCK");
	for (size_t i = 0; i < s->napps; i++)
		fprintf(fp, "  %-30s %6llu %6llu %6llu %6llu\n",
		    sg_printable(s->apps[i].app, app, sizeof(app)),
		    (unsigned long long)s->apps[i].flows,
		    (unsigned long long)s->apps[i].actions[SG_ALLOW],
		    (unsigned long long)s->apps[i].actions[SG_LOG],
		    (unsigned long long)s->apps[i].actions[SG_BLOCK]);
	uint64_t skipped = s->undecodable;
	for (int i = 1; i < DEC_NRESULTS; i++)
		skipped += s->skipped[i];
	if (skipped) {
		fprintf(fp, "  packets counted and skipped: %llu",
		    (unsigned long long)skipped);
		if (s->undecodable)
			fprintf(fp, " (link layer: %llu)",
			    (unsigned long long)s->undecodable);
		for (int i = 1; i < DEC_NRESULTS; i++)
			if (s->skipped[i])
				fprintf(fp, " (%s: %llu)",
				    dec_result_name((enum dec_result)i),
				    (unsigned long long)s->skipped[i]);
		fputc('\n', fp);
	}
	free(s->apps);
	s->apps = NULL;
	s->napps = 0;
}
