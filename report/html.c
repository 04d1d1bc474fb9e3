/*
 * The HTML report: one self-contained file (inline CSS, inline SVG, no
 * scripts, fonts or links), laid out for a head teacher reading it on
 * screen or printed on A4.  Facts only: counts, days, times and the
 * clause; no verdicts.  Every string from the network, the database or
 * the config goes through rpt_html_put().
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report.h"


static const char html_css[] =
    "*{box-sizing:border-box}"
    "body{margin:0;background:#f4f5f7;color:#1d2939;font:15px/1.45 "
    "system-ui,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif}"
    ".page{max-width:1160px;margin:0 auto;padding:0 24px 32px}"
    "header.top{background:" H_NAVY ";color:#fff;padding:22px 24px 18px;"
    "margin:0 -24px 18px}"
    ".school{font-size:14px;letter-spacing:.06em;text-transform:uppercase;"
    "opacity:.8}"
    "h1{margin:4px 0 6px;font-size:27px;font-weight:650}"
    ".period{font-size:18px}.meta{font-size:13px;opacity:.8;margin-top:4px}"
    ".badge{display:inline-block;border-radius:10px;padding:1px 9px;"
    "font-size:12px;font-weight:600;background:#eef2f6;color:#344054;"
    "margin-left:6px;vertical-align:2px}"
    ".badge.warn{background:#fef0c7;color:#93370d}"
    ".badge.bad{background:#fee4e2;color:#912018}"
    ".badge.ok{background:#dcfae6;color:#085d3a}"
    "section{background:#fff;border:1px solid #e4e7ec;border-radius:10px;"
    "padding:14px 20px 16px;margin:0 0 16px}"
    "h2{font-size:19px;margin:0 0 8px}h2 small,h3 small{font-weight:400;"
    "color:#667085;font-size:13px}"
    "h3{font-size:16px;margin:12px 0 4px}"
    "p{margin:4px 0 8px}.howto p{max-width:none}"
    ".cards{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;"
    "margin:8px 0 12px}"
    ".card{border:1px solid #e4e7ec;border-radius:8px;padding:10px 12px}"
    ".card .n{font-size:34px;font-weight:700;line-height:1.1}"
    ".card .l{font-size:14px;font-weight:600}"
    ".card .c{font-size:12.5px;color:#475467}"
    ".card.red{border-top:5px solid " H_RED "}"
    ".card.amber{border-top:5px solid " H_AMBER "}"
    ".card.purple{border-top:5px solid #6941c6}"
    ".card.grey{border-top:5px solid #98a2b3}"
    "dl.facts{display:grid;grid-template-columns:max-content 1fr;"
    "gap:2px 14px;margin:0;font-size:14px}"
    "dl.facts dt{color:#475467}dl.facts dd{margin:0}"
    "table{border-collapse:collapse;width:100%;font-size:13.5px;"
    "margin:4px 0 8px}"
    "th{text-align:left;font-weight:600;color:#475467;border-bottom:2px "
    "solid #e4e7ec;padding:4px 6px}"
    "td{border-bottom:1px solid #f0f1f3;padding:4px 6px;vertical-align:top}"
    "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}"
    "td.host{word-break:break-all;max-width:320px}"
    ".two{display:grid;grid-template-columns:1fr 1fr;gap:18px}"
    "figure{margin:0}figcaption{font-size:13px;color:#475467}"
    ".legend span{display:inline-block;margin-right:14px}"
    ".sw{display:inline-block;width:12px;height:12px;border-radius:2px;"
    "vertical-align:-1px;margin-right:4px}"
    ".person{border-top:1px solid #e4e7ec;padding-top:6px;margin-top:8px}"
    ".pfacts{font-size:13.5px;color:#344054}"
    ".none{color:#667085;font-style:italic}"
    "svg text{font-family:system-ui,'DejaVu Sans',Arial,sans-serif}"
    "footer{font-size:12px;color:#667085;text-align:center}"
    "@page{size:A4;margin:11mm}"
    "@media print{body{background:#fff;font-size:10pt}"
    ".page{max-width:none;padding:0}"
    "header.top{margin:0 0 10px;-webkit-print-color-adjust:exact;"
    "print-color-adjust:exact}"
    "section{border:none;padding:0;margin:0 0 12px}"
    ".card,figure,tr,.person{break-inside:avoid}h2,h3{break-after:avoid}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

void
rpt_html_put(FILE *f, const char *s)
{
	unsigned char c;

	for (; (c = (unsigned char)*s) != '\0'; s++) {
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			/* control bytes are shown, not passed to the page */
			if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\x%02x", c);
			else
				putc(c, f);
		}
	}
}

void
rpt_html_day(FILE *f, int32_t day, const char *fmt)
{
	time_t t = (time_t)(rpt_day_start_us(day) / 1000000);
	char buf[64];
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(buf, sizeof(buf), fmt,
	    &tm) == 0)
		snprintf(buf, sizeof(buf), "?");
	fputs(buf[0] == '0' ? buf + 1 : buf, f);
}

static void
html_when(FILE *f, int64_t us)
{
	time_t t = (time_t)(us / 1000000);
	char buf[64];
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(buf, sizeof(buf),
	    "%a %e %b %H:%M", &tm) == 0)
		snprintf(buf, sizeof(buf), "?");
	fputs(buf, f);
}

static void
html_tag(FILE *f, const char *tag, const char *cls, const char *text)
{
	fprintf(f, "<%s%s%s%s>", tag, cls ? " class=\"" : "", cls ? cls : "",
	    cls ? "\"" : "");
	rpt_html_put(f, text);
	fprintf(f, "</%s>", tag);
}

static void
html_num_td(FILE *f, int64_t n)
{
	if (n == 0)
		fputs("<td class=\"num\" style=\"color:#98a2b3\">0</td>", f);
	else
		fprintf(f, "<td class=\"num\">%" PRId64 "</td>", n);
}

static void
html_header(FILE *f, const struct rpt_report *r)
{
	int32_t ndays = r->period.last_day - r->period.first_day + 1;

	fputs("<header class=\"top\"><div class=\"school\">", f);
	rpt_html_put(f, r->school);
	fputs("</div><h1>Staff social media policy: monitoring report</h1>"
	    "<div class=\"period\">", f);
	rpt_html_day(f, r->period.first_day, "%A %d %B %Y");
	fputs(" to ", f);
	rpt_html_day(f, r->period.last_day, "%A %d %B %Y");
	fprintf(f, " &middot; %d day%s", (int)ndays, ndays == 1 ? "" : "s");
	if (r->period.name[0] != '\0') {
		fputs(" &middot; ", f);
		rpt_html_put(f, r->period.name);
	}
	fputs("</div><div class=\"meta\">Made ", f);
	html_when(f, r->generated_us);
	fputs(" (", f);
	rpt_html_put(f, r->timezone);
	fputs(" time) by schoolgate from the gateway&#39;s usage records "
	    "&middot; people shown: ", f);
	rpt_html_put(f, r->groups);
	if (r->only_person[0] != '\0') {
		fputs(" &middot; one person only: ", f);
		rpt_html_put(f, r->only_person);
	}
	if (r->pseudonymised)
		fputs("<span class=\"badge warn\">names replaced by "
		    "pseudonyms</span>", f);
	fputs("</div></header>\n", f);
}

static void
html_howto(FILE *f)
{
	fputs("<section class=\"howto\"><h2>How to read this report</h2><p>"
	    "The gateway checks every connection from the school network "
	    "against the staff social media policy. A <b>blocked attempt</b> "
	    "is a connection the policy stopped (for example personal social "
	    "media in school hours, clause 7.3, or private messaging, 6.9). "
	    "A <b>logged breach</b> was allowed but recorded (for example "
	    "social media out of school hours, 7.3). <b>Circumvention</b> is "
	    "use of a VPN, Tor, a proxy or encrypted DNS that hides traffic "
	    "from monitoring (9.1). The report states facts only: how often, "
	    "on how many days, when, and under which clause. Judging severity "
	    "(9.5) is for the lead team. Start with the summary, then the "
	    "charts for patterns, then each person. The last section says "
	    "where the record may be incomplete.</p></section>\n", f);
}

static void
html_change(FILE *f, int64_t now, int64_t before, int32_t ndays)
{
	int64_t d = now - before;

	if (d == 0)
		fprintf(f, "<div class=\"c\">same as the previous %d days "
		    "(%" PRId64 ")</div>", (int)ndays, before);
	else
		fprintf(f, "<div class=\"c\">%s %" PRId64 " %s than the "
		    "previous %d days (%" PRId64 ")</div>", d > 0 ? "&#9650;" :
		    "&#9660;", d > 0 ? d : -d, d > 0 ? "more" : "fewer",
		    (int)ndays, before);
}

static void
html_card(FILE *f, const char *cls, int64_t now, int64_t before,
    const char *label, const char *clause, int32_t ndays)
{
	fprintf(f, "<div class=\"card %s\"><div class=\"n\">%" PRId64
	    "</div><div class=\"l\">%s <small>(%s)</small></div>", cls, now,
	    label, clause);
	html_change(f, now, before, ndays);
	fputs("</div>", f);
}

static void
html_summary(FILE *f, const struct rpt_report *r)
{
	int32_t n = r->period.last_day - r->period.first_day + 1;

	fputs("<section><h2>Summary</h2><div class=\"cards\">", f);
	html_card(f, "red", r->cur.attempts, r->before.attempts,
	    "blocked attempts", "clauses 6.9, 7.3, 8.1", n);
	html_card(f, "amber", r->cur.breaches, r->before.breaches,
	    "logged breaches", "clause 7.3", n);
	html_card(f, "purple", r->cur.circumvention, r->before.circumvention,
	    "circumvention attempts", "clause 9.1", n);
	html_card(f, "grey", r->cur.lookups, r->before.lookups,
	    "name lookups stopped", "counted apart", n);
	fputs("</div><dl class=\"facts\"><dt>School hours</dt><dd>", f);
	rpt_html_put(f, r->hours[0] ? r->hours : "not defined");
	fputs(" (", f);
	rpt_html_put(f, r->timezone);
	fprintf(f, ")</dd><dt>Seen on the network</dt><dd>%" PRId64
	    " devices, %" PRId64 " named people, %" PRId64 " connections "
	    "recorded</dd><dt>Professional accounts</dt><dd>%" PRId64
	    " uses of approved school accounts (clause 6.8)</dd>"
	    "<dt>Compared with</dt><dd>", r->cur.devices, r->cur.people,
	    r->cur.flows, r->cur.account_uses);
	rpt_html_day(f, r->prev.first_day, "%d %B %Y");
	fputs(" to ", f);
	rpt_html_day(f, r->prev.last_day, "%d %B %Y");
	fputs("</dd><dt>Record</dt><dd>", f);
	fprintf(f, "<span class=\"badge %s\" style=\"margin:0\">",
	    r->quality.verify_ok ? "ok" : "bad");
	rpt_html_put(f, r->quality.verify_ok ? "intact" : "NOT intact");
	fputs("</span> ", f);
	rpt_html_put(f, r->quality.verify_msg);
	fprintf(f, "; %" PRId64 " monitoring gap%s in the period (see Data "
	    "quality)</dd></dl></section>\n", r->quality.gaps,
	    r->quality.gaps == 1 ? "" : "s");
}

/* A round axis top at or above v with four whole-number steps. */
static void
html_person_apps(FILE *f, const struct rpt_person *p)
{
	fputs("<table><tr><th>App</th><th>Rule</th><th>Clause</th>"
	    "<th class=\"num\">Blocked in school hours</th>"
	    "<th class=\"num\">Blocked outside</th>"
	    "<th class=\"num\">Logged in school hours</th>"
	    "<th class=\"num\">Logged outside</th></tr>", f);
	for (size_t i = 0; i < p->napps; i++) {
		fputs("<tr>", f);
		html_tag(f, "td", NULL, p->apps[i].app);
		html_tag(f, "td", NULL, p->apps[i].rule);
		html_tag(f, "td", NULL, p->apps[i].clause);
		html_num_td(f, p->apps[i].blocked_in);
		html_num_td(f, p->apps[i].blocked_out);
		html_num_td(f, p->apps[i].logged_in);
		html_num_td(f, p->apps[i].logged_out);
		fputs("</tr>", f);
	}
	fputs("</table>", f);
}

/* How much weight the record bears: "identified by 802.1X sign-in". */
static void
html_idsrc(FILE *f, const char *idsrc)
{
	char buf[sizeof(((struct rpt_who *)0)->idsrc)], *tok, *save = NULL;
	int n = 0;

	if (idsrc[0] == '\0')
		return;
	snprintf(buf, sizeof(buf), "%s", idsrc);
	fputs(" <small class=\"idsrc\">identified by ", f);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		fputs(n++ ? ", " : "", f);
		rpt_html_put(f, rpt_idsrc_words(tok));
	}
	fputs("</small>", f);
}

static void
html_person(FILE *f, const struct rpt_person *p)
{
	fputs("<div class=\"person\"><h3>", f);
	rpt_html_put(f, p->who.name);
	fputs(" <span class=\"badge\">", f);
	rpt_html_put(f, p->who.group);
	fputs("</span>", f);
	if (p->who.device[0] != '\0' && strcmp(p->who.device, p->who.name)) {
		fputs(" <small>device ", f);
		rpt_html_put(f, p->who.device);
		fputs("</small>", f);
	}
	html_idsrc(f, p->who.idsrc);
	fprintf(f, "</h3><div class=\"pfacts\"><b>%" PRId64 "</b> blocked, "
	    "<b>%" PRId64 "</b> logged, <b>%" PRId64 "</b> circumvention "
	    "&middot; on <b>%" PRId64 "</b> day%s &middot; %" PRId64 " in school "
	    "hours, %" PRId64 " outside &middot; first ", p->attempts,
	    p->breaches, p->circumvention, p->days, p->days == 1 ? "" : "s",
	    p->in_hours, p->out_hours);
	html_when(f, p->first_us);
	fputs(", last ", f);
	html_when(f, p->last_us);
	fputs(" &middot; clauses ", f);
	rpt_html_put(f, p->clauses);
	if (p->lookups > 0)
		fprintf(f, " &middot; %" PRId64 " name lookups stopped",
		    p->lookups);
	fputs("</div>", f);
	html_person_apps(f, p);
	fputs("</div>\n", f);
}

static void
html_people(FILE *f, const struct rpt_report *r)
{
	fputs("<section><h2>Per person <small>(", f);
	rpt_html_put(f, r->groups);
	fputs("; most findings first within each group)</small></h2>", f);
	if (r->npeople == 0)
		fputs("<p class=\"none\">No blocked attempts, logged breaches or "
		    "circumvention for these groups in this period.</p>", f);
	for (size_t i = 0; i < r->npeople; i++)
		html_person(f, &r->people[i]);
	fputs("</section>\n", f);
}

static void
html_account_flags(FILE *f, const struct rpt_account *a)
{
	if (a->ended)
		fputs("<span class=\"badge\">ended</span>", f);
	if (a->review_overdue)
		fputs("<span class=\"badge bad\">review overdue</span>", f);
	if (a->ending_soon)
		fputs("<span class=\"badge warn\">ends within 30 days</span>", f);
	if (a->unregistered > 0)
		fputs("<span class=\"badge bad\">used from unregistered "
		    "device</span>", f);
	if (!a->ended && !a->review_overdue && !a->ending_soon &&
	    a->unregistered == 0)
		fputs("<span class=\"badge ok\">in order</span>", f);
}

static void
html_accounts(FILE *f, const struct rpt_report *r)
{
	char d[16];

	fputs("<section><h2>Professional accounts register <small>(clauses "
	    "5.7, 6.8, 9.3)</small></h2>", f);
	if (r->naccounts == 0) {
		fputs("<p class=\"none\">No approved accounts in the "
		    "configuration.</p></section>\n", f);
		return;
	}
	fputs("<table><tr><th>Account</th><th>Platform</th><th>Owner</th>"
	    "<th>Devices</th><th>Approved</th><th>Review by</th><th>Ends</th>"
	    "<th class=\"num\">Uses</th><th>Flags</th></tr>", f);
	for (size_t i = 0; i < r->naccounts; i++) {
		const struct rpt_account *a = &r->accounts[i];

		fputs("<tr>", f);
		html_tag(f, "td", NULL, a->name);
		html_tag(f, "td", NULL, a->platform);
		html_tag(f, "td", NULL, a->owners);
		html_tag(f, "td", NULL, a->devices);
		rpt_fmt_day(a->approved, d, sizeof(d));
		html_tag(f, "td", NULL, d);
		rpt_fmt_day(a->review_by, d, sizeof(d));
		html_tag(f, "td", NULL, d);
		rpt_fmt_day(a->ends, d, sizeof(d));
		html_tag(f, "td", NULL, d);
		html_num_td(f, a->uses);
		fputs("<td>", f);
		html_account_flags(f, a);
		if (a->unreg_devices[0] != '\0') {
			fputs("<br><small>", f);
			rpt_html_put(f, a->unreg_devices);
			fputs("</small>", f);
		}
		fputs("</td></tr>", f);
	}
	fputs("</table><p><small>Flags are worked out on the day the report "
	    "was made. &ldquo;Used from unregistered device&rdquo;: the owner "
	    "reached the platform from a device the register does not list "
	    "for the account.</small></p></section>\n", f);
}

/* The rows of the circumvention or encrypted DNS table; what names the
 * app and host columns differs. */
static void
html_circ_rows(FILE *f, const struct rpt_circ *rows, size_t n,
    const char *app_th, const char *host_th)
{
	if (n == 0) {
		fputs("<p class=\"none\">None in this period.</p></section>\n",
		    f);
		return;
	}
	fprintf(f, "<table><tr><th>Person or device</th><th>Group</th>"
	    "<th>Device</th><th>%s</th><th>%s</th><th>Action</th>"
	    "<th class=\"num\">Times</th><th>First</th><th>Last</th></tr>",
	    app_th, host_th);
	for (size_t i = 0; i < n; i++) {
		const struct rpt_circ *c = &rows[i];

		fputs("<tr>", f);
		html_tag(f, "td", NULL, c->who.name);
		html_tag(f, "td", NULL, c->who.group);
		html_tag(f, "td", NULL, c->who.device[0] ? c->who.device :
		    c->who.mac[0] ? c->who.mac : c->who.ip);
		html_tag(f, "td", NULL, c->app);
		html_tag(f, "td", "host", c->host);
		html_tag(f, "td", NULL, c->action);
		html_num_td(f, c->count);
		fputs("<td>", f);
		html_when(f, c->first_us);
		fputs("</td><td>", f);
		html_when(f, c->last_us);
		fputs("</td></tr>", f);
	}
	fputs("</table></section>\n", f);
}

static void
html_circ(FILE *f, const struct rpt_report *r)
{
	fputs("<section><h2>Circumvention <small>(VPN, Tor, proxies, encrypted "
	    "DNS; clause 9.1)</small></h2>", f);
	html_circ_rows(f, r->circ, r->ncirc, "App", "Example host");
}

static void
html_encdns(FILE *f, const struct rpt_report *r)
{
	fputs("<section><h2>Encrypted DNS <small>(looking up web addresses "
	    "past the school's filter; clause 9.1)</small></h2><p>Each device "
	    "below asked a public service such as Google or Cloudflare, "
	    "instead of the school, where websites are. The filter cannot "
	    "read those lookups, so it cannot tell which sites follow. Some "
	    "browsers try this on their own now and then; a device that does "
	    "it often has probably been set up to.</p>", f);
	html_circ_rows(f, r->encdns, r->nencdns, "How", "Service");
}

static void
html_events(FILE *f, const struct rpt_quality *q)
{
	if (q->nevents == 0) {
		fputs("<p class=\"none\">No starts, stops, gaps, late writes, "
		    "configuration changes, purges or changed decisions "
		    "recorded in this period.</p>", f);
		return;
	}
	fputs("<table><tr><th>When</th><th>What</th><th>Detail</th></tr>", f);
	for (size_t i = 0; i < q->nevents; i++) {
		fputs("<tr><td>", f);
		html_when(f, q->events[i].ts_us);
		fputs("</td>", f);
		html_tag(f, "td", NULL, q->events[i].kind);
		html_tag(f, "td", "host", q->events[i].detail);
		fputs("</tr>", f);
	}
	fputs("</table>", f);
}

/* Times the filter was down: start, end, and how much of school hours. */
static void
html_down(FILE *f, const struct rpt_quality *q)
{
	if (q->ndown == 0)
		return;
	fputs("<table><tr><th>Not monitored from</th><th>to</th><th>Why</th>"
	    "<th>Within school hours</th></tr>", f);
	for (size_t i = 0; i < q->ndown; i++) {
		fputs("<tr><td>", f);
		html_when(f, q->down[i].from_us);
		fputs("</td><td>", f);
		html_when(f, q->down[i].to_us);
		fprintf(f, "</td><td>%s</td><td>%" PRId64 " min</td></tr>",
		    q->down[i].clean ? "stopped" : "crashed or killed",
		    (q->down[i].school_s + 59) / 60);
	}
	fputs("</table>", f);
}

/* The lists the filter recognises sites by, each with its date: an old
 * one misses what appeared since (new VPN apps, new social sites). */
static void
html_lists(FILE *f, const struct rpt_report *r)
{
	const struct rpt_quality *q = &r->quality;
	char day[16];

	if (q->nlists == 0)
		return;
	fputs("<h3>Lists of sites and addresses</h3><p><small>The filter "
	    "recognises VPNs, social media and other services that it cannot "
	    "name by itself from these lists. A list more than 90 days old at "
	    "the end of this report may miss services that appeared since; "
	    "ask whoever runs the gateway to refresh it (<code>schoolgate "
	    "lists import</code>).</small></p><table><tr><th>List</th>"
	    "<th>Used for</th><th>Entries</th><th>Dated</th><th>Source</th>"
	    "<th></th></tr>", f);
	for (size_t i = 0; i < q->nlists; i++) {
		const struct rpt_list *l = &q->lists[i];

		fputs("<tr>", f);
		html_tag(f, "td", "host", l->name);
		html_tag(f, "td", NULL, l->category);
		fprintf(f, "<td>%zu</td>", l->entries);
		rpt_fmt_day(l->date, day, sizeof(day));
		html_tag(f, "td", NULL, day);
		html_tag(f, "td", NULL, l->source);
		fprintf(f, "<td><span class=\"badge %s\" style=\"margin:0\">"
		    "%s</span></td></tr>", l->old ? "bad" : "ok", l->old ?
		    "out of date: over 90 days old" : "up to date");
	}
	fputs("</table>", f);
}

static void
html_quality(FILE *f, const struct rpt_report *r)
{
	const struct rpt_quality *q = &r->quality;

	fputs("<section><h2>Data quality <small>(where the record may be "
	    "incomplete)</small></h2><dl class=\"facts\">"
	    "<dt>Record chain</dt><dd>", f);
	fprintf(f, "<span class=\"badge %s\" style=\"margin:0\">%s</span> ",
	    q->verify_ok ? "ok" : "bad", q->verify_ok ? "verified" :
	    "FAILED");
	rpt_html_put(f, q->verify_msg);
	fputs(". Each record is chained to the one before it, so an "
	    "edited or deleted record shows here (also: <code>schoolgate "
	    "verify</code>).</dd><dt>Latest seal</dt><dd>", f);
	rpt_html_put(f, q->seal_msg);
	fprintf(f, " (with the verification key, <code>schoolgate verify"
	    "</code> proves nothing up to this seal was changed)</dd>"
	    "<dt>Monitoring gaps</dt><dd>%" PRId64
	    " (the filter was stopped in school hours, crashed, or records "
	    "were dropped; while it is down the gateway lets traffic through "
	    "unrecorded, or none at all if it fails closed); %" PRId64
	    " min of school hours not monitored</dd>"
	    "<dt>Records written late</dt><dd>%" PRId64 " (the records "
	    "database could not be written for a while, a full disk say; the "
	    "records waited in memory and keep their own times)</dd>"
	    "<dt>School days with no records</dt><dd>%" PRId64 "</dd>"
	    "<dt>Configuration</dt><dd>%" PRId64 " reloads, %" PRId64
	    " rejected changes</dd><dt>Daemon starts</dt><dd>%" PRId64
	    "</dd><dt>Retention purges</dt><dd>%" PRId64 " (older records "
	    "deleted as the retention period requires)</dd>"
	    "<dt>Decisions changed on open connections</dt><dd>%" PRId64
	    " (school hours began or ended, or the configuration was "
	    "reloaded, while they were open; each has a record per period, "
	    "under the decision in force then)</dd></dl>",
	    q->gaps, (q->down_school_s + 59) / 60, q->delays,
	    q->missing_school_days, q->reloads, q->config_changes,
	    q->starts, q->purges, q->redecisions);
	html_down(f, q);
	html_events(f, q);
	html_lists(f, r);
	fputs("</section>\n", f);
}

static void
html_method(FILE *f)
{
	fputs("<section><h2>How the figures are counted</h2><p><small>"
	    "Each figure counts connections recorded by the gateway. A blocked "
	    "attempt is a connection the policy refused; a logged breach was "
	    "allowed and recorded. When a site is blocked, the name lookup "
	    "(DNS) that comes before the connection is blocked too; those "
	    "lookups are counted separately as &ldquo;name lookups "
	    "stopped&rdquo; so that one visit is not counted twice. QUIC "
	    "(HTTP/3) connections that the gateway drops so that browsers "
	    "retry over HTTPS, where the site&#39;s name is visible, are not "
	    "findings and are not counted. Circumvention is counted on its own "
	    "and not again as an attempt or breach. One visit to a web page "
	    "can open several connections, so compare counts with the number "
	    "of days and the first and last times rather than reading each "
	    "count as a separate visit. Use of an approved professional "
	    "account (6.8) is not a finding. Times are in the school&#39;s "
	    "time zone.</small></p></section>\n", f);
}

int
rpt_write_html(FILE *f, const struct rpt_report *r)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta "
	    "charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-"
	    "width,initial-scale=1\"><title>Monitoring report: ", f);
	rpt_html_put(f, r->school);
	fputs("</title><style>", f);
	fputs(html_css, f);
	fputs("</style></head><body><div class=\"page\">\n", f);
	html_header(f, r);
	html_howto(f);
	html_summary(f, r);
	rpt_html_charts(f, r);
	html_people(f, r);
	html_circ(f, r);
	html_encdns(f, r);
	html_accounts(f, r);
	html_quality(f, r);
	html_method(f);
	fputs("<footer>schoolgate &middot; policy clause 9.3: the lead team "
	    "reviews use regularly &middot; this report holds personal data: "
	    "keep it within the lead team</footer></div></body></html>\n", f);
	return ferror(f) ? -1 : 0;
}
