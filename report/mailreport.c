/*
 * The report as an email: a short summary to read on a phone (plain text
 * and a single-column HTML with large type, no tables) and the full HTML
 * report attached, byte for byte what "report -o" writes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail.h"
#include "report.h"

#define MAIL_TOP_PEOPLE	5

static const char mail_css[] =
    "body{margin:0;padding:16px;font:18px/1.5 -apple-system,'Segoe UI',"
    "Roboto,sans-serif;color:#1d2939;max-width:36em}"
    "h1{font-size:22px;margin:0 0 4px}p{margin:0 0 12px}"
    ".n{display:block;font-size:34px;font-weight:700}"
    ".fig{border-left:6px solid #98a2b3;padding:4px 12px;margin:0 0 12px}"
    ".red{border-color:" H_RED "}.amber{border-color:" H_AMBER "}"
    ".purple{border-color:#6941c6}";

struct mail_figure {
	const char	*cls, *label;
	int64_t		 n;
};

static size_t
mail_figures(const struct rpt_report *r, struct mail_figure f[4])
{
	f[0] = (struct mail_figure){ "red", "blocked attempts",
	    r->cur.attempts };
	f[1] = (struct mail_figure){ "amber", "logged breaches",
	    r->cur.breaches };
	f[2] = (struct mail_figure){ "purple", "circumvention attempts",
	    r->cur.circumvention };
	f[3] = (struct mail_figure){ "", "name lookups stopped",
	    r->cur.lookups };
	return 4;
}

static void
mail_period(const struct rpt_report *r, char *buf, size_t len)
{
	char a[16], b[16];

	rpt_fmt_day(r->period.first_day, a, sizeof(a));
	rpt_fmt_day(r->period.last_day, b, sizeof(b));
	snprintf(buf, len, "%s to %s", a, b);
}

static int64_t
mail_person_total(const struct rpt_person *p)
{
	return p->attempts + p->breaches + p->circumvention;
}

static void
mail_text(FILE *f, const struct rpt_report *r)
{
	struct mail_figure fig[4];
	char period[40], who[RPT_TEXT_MAX], safe[4 * RPT_TEXT_MAX];
	size_t n = mail_figures(r, fig);

	mail_period(r, period, sizeof(period));
	fprintf(f, "%s\nMonitoring report, %s\n\n",
	    sg_printable(r->school, safe, sizeof(safe)), period);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%8" PRId64 "  %s\n", fig[i].n, fig[i].label);
	fprintf(f, "\nRecord: %s; %" PRId64 " monitoring gap%s.\n",
	    r->quality.verify_ok ? "intact" : "NOT intact", r->quality.gaps,
	    r->quality.gaps == 1 ? "" : "s");
	if (r->npeople > 0)
		fprintf(f, "\nMost findings:\n");
	for (size_t i = 0; i < r->npeople && i < MAIL_TOP_PEOPLE; i++)
		fprintf(f, "  %s: %" PRId64 "\n", sg_printable(rpt_who_label(
		    &r->people[i].who, who, sizeof(who)), safe, sizeof(safe)),
		    mail_person_total(&r->people[i]));
	fprintf(f, "\nThe full report is attached: open it in a browser. It "
	    "holds personal data: keep it within the lead team.\n");
}

static void
mail_html(FILE *f, const struct rpt_report *r)
{
	struct mail_figure fig[4];
	char period[40], who[RPT_TEXT_MAX];
	size_t n = mail_figures(r, fig);

	mail_period(r, period, sizeof(period));
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta "
	    "charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-"
	    "width,initial-scale=1\"><style>%s</style></head><body><p>",
	    mail_css);
	rpt_html_put(f, r->school);
	fprintf(f, "</p><h1>Monitoring report</h1><p>%s</p>\n", period);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "<div class=\"fig %s\"><span class=\"n\">%" PRId64
		    "</span>%s</div>\n", fig[i].cls, fig[i].n, fig[i].label);
	fprintf(f, "<p>Record: <b>%s</b>; %" PRId64 " monitoring gap%s.</p>\n",
	    r->quality.verify_ok ? "intact" : "NOT intact", r->quality.gaps,
	    r->quality.gaps == 1 ? "" : "s");
	if (r->npeople > 0)
		fputs("<h1>Most findings</h1>\n", f);
	for (size_t i = 0; i < r->npeople && i < MAIL_TOP_PEOPLE; i++) {
		fputs("<p>", f);
		rpt_html_put(f, rpt_who_label(&r->people[i].who, who,
		    sizeof(who)));
		fprintf(f, ": <b>%" PRId64 "</b></p>\n",
		    mail_person_total(&r->people[i]));
	}
	fputs("<p>The full report is attached: open it in a browser. It "
	    "holds personal data: keep it within the lead team.</p>"
	    "</body></html>\n", f);
}

/* fn's output in a malloc'ed string. */
static char *
mail_render(void (*fn)(FILE *, const struct rpt_report *),
    const struct rpt_report *r)
{
	char *s = NULL;
	size_t len;
	FILE *f;

	if ((f = open_memstream(&s, &len)) == NULL)
		return NULL;
	fn(f, r);
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

enum rpt_error
rpt_mail_build(const struct sg_config *cfg, const struct rpt_report *r,
    const char *html, size_t html_len, char *const *to, size_t nto,
    char **msg, size_t *len)
{
	char from[CONF_MAIL_ADDR_MAX + 1], subject[RPT_TEXT_MAX + 64];
	char period[40], name[RPT_TEXT_MAX + 32];
	char *text = mail_render(mail_text, r), *phone = mail_render(mail_html,
	    r);
	struct mail_msg m = { .to = to, .nto = nto, .date = time(NULL),
	    .text = text, .html = phone, .attach = html,
	    .attach_len = html_len, .attach_name = name };
	enum rpt_error err = RPT_OK;

	if (cfg->mail_from)
		snprintf(from, sizeof(from), "%s", cfg->mail_from);
	else
		mail_default_from(from, sizeof(from));
	m.from = from;
	m.from_name = r->school[0] ? r->school : "schoolgate";
	mail_period(r, period, sizeof(period));
	snprintf(subject, sizeof(subject), "Monitoring report %s: %s", period,
	    r->school);
	m.subject = subject;
	snprintf(name, sizeof(name), "schoolgate-report-%s.html",
	    r->period.slug);
	if (text == NULL || phone == NULL)
		err = RPT_ERR_NOMEM;
	else if (mail_build(&m, msg, len) == -1 &&
	    (snprintf(name, sizeof(name), "schoolgate-report.html") < 0 ||
	    mail_build(&m, msg, len) == -1))
		err = RPT_ERR_NOMEM;
	free(text);
	free(phone);
	return err;
}
