/*
 * CSV: one row per finding (report.h), RFC 4180.  Every text cell is
 * quoted, and a cell that a spreadsheet would run as a formula (it starts
 * with = + - @, a tab or CR) gets a leading apostrophe: host names come
 * off the wire, and "=cmd|' /C calc'!A0" is a valid HTTP Host.
 * The column names are stable; README.md documents them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

static const char csv_header[] =
    "period_from,period_to,kind,group,person,person_name,device,mac,ip,"
    "app,category,host,action,rule,clause,in_school_hours,count,days,"
    "first_seen,last_seen,identified_by\r\n";

void
rpt_csv_put(FILE *f, const char *s)
{
	putc('"', f);
	if (strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0')
		putc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			putc('"', f);
		putc(*s, f);
	}
	putc('"', f);
}

static void
csv_cell(FILE *f, const char *s)
{
	rpt_csv_put(f, s);
	putc(',', f);
}

static void
csv_row(FILE *f, const struct rpt_report *r, const struct rpt_finding *x)
{
	char a[32], b[32];

	rpt_fmt_day(r->period.first_day, a, sizeof(a));
	rpt_fmt_day(r->period.last_day, b, sizeof(b));
	csv_cell(f, a);
	csv_cell(f, b);
	csv_cell(f, x->kind);
	csv_cell(f, x->who.group);
	csv_cell(f, x->who.person);
	csv_cell(f, x->who.name);
	csv_cell(f, x->who.device);
	csv_cell(f, x->who.mac);
	csv_cell(f, x->who.ip);
	csv_cell(f, x->app);
	csv_cell(f, x->category);
	csv_cell(f, x->host);
	csv_cell(f, x->action);
	csv_cell(f, x->rule);
	csv_cell(f, x->clause);
	fprintf(f, "%d,%" PRId64 ",%" PRId64 ",", x->in_hours ? 1 : 0,
	    x->count, x->days);
	rpt_fmt_time(x->first_us, a, sizeof(a));
	rpt_fmt_time(x->last_us, b, sizeof(b));
	csv_cell(f, a);
	csv_cell(f, b);
	rpt_csv_put(f, x->who.idsrc);
	fputs("\r\n", f);
}

int
rpt_write_csv(FILE *f, const struct rpt_report *r)
{
	fputs(csv_header, f);
	for (size_t i = 0; i < r->nfindings; i++)
		csv_row(f, r, &r->findings[i]);
	return ferror(f) ? -1 : 0;
}
