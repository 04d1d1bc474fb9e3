/*
 * The report's charts, drawn as inline SVG and HTML tables: breaches over
 * the period against school days, apps as bars, and a heat map of the
 * hours of the week.  Nothing here comes from the wire unescaped: labels
 * go through rpt_html_put().
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report.h"

static int64_t
html_nice(int64_t v)
{
	static const int m[] = { 1, 2, 5, 10 };
	int64_t step = 1;

	for (;;) {
		for (size_t i = 0; i < 4; i++)
			if (4 * step * m[i] >= v)
				return 4 * step * m[i];
		step *= 10;
	}
}

#define LC_W	1100
#define LC_H	250
#define LC_L	44
#define LC_R	34
#define LC_T	14
#define LC_B	42

static double
lc_x(const struct rpt_report *r, size_t i)
{
	double w = LC_W - LC_L - LC_R;

	return LC_L + (r->ndays > 1 ? w * (double)i / (double)(r->ndays - 1) :
	    w / 2);
}

static void
lc_bands(FILE *f, const struct rpt_report *r)
{
	double half = r->ndays > 1 ? (lc_x(r, 1) - lc_x(r, 0)) / 2 : 20;
	const struct rpt_day *d;

	for (size_t i = 0; i < r->ndays; i++) {
		d = &r->days[i];
		if (d->closure[0] != '\0')
			fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
			    "height=\"%d\" fill=\"#fde7c8\"/>", lc_x(r, i) - half,
			    LC_T, 2 * half, LC_H - LC_T - LC_B);
		else if (!d->school_day)
			fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
			    "height=\"%d\" fill=\"#eef0f3\"/>", lc_x(r, i) - half,
			    LC_T, 2 * half, LC_H - LC_T - LC_B);
		if (d->flows == 0 && d->day <= r->today)
			fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
			    "height=\"%d\" fill=\"url(#norec)\"/>",
			    lc_x(r, i) - half, LC_T, 2 * half,
			    LC_H - LC_T - LC_B);
	}
}

static void
lc_axes(FILE *f, const struct rpt_report *r, int64_t top)
{
	int plot = LC_H - LC_T - LC_B;
	size_t every = r->ndays <= 16 ? 1 : r->ndays <= 40 ? 2 : 7;

	for (int k = 0; k <= 4; k++) {
		double y = LC_T + plot - plot * k / 4.0;

		fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
		    "stroke=\"#d0d5dd\" stroke-width=\"%s\"/>"
		    "<text x=\"%d\" y=\"%.1f\" font-size=\"12\" fill=\"#475467\" "
		    "text-anchor=\"end\">%" PRId64 "</text>", LC_L, LC_W - LC_R,
		    y, y, k ? "0.6" : "1.2", LC_L - 6, y + 4, top * k / 4);
	}
	for (size_t i = 0; i < r->ndays; i += every) {
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" "
		    "fill=\"#475467\" text-anchor=\"middle\">", lc_x(r, i),
		    LC_H - LC_B + 16);
		rpt_html_day(f, r->days[i].day, "%a");
		fprintf(f, "</text><text x=\"%.1f\" y=\"%d\" font-size=\"12\" "
		    "fill=\"#475467\" text-anchor=\"middle\">", lc_x(r, i),
		    LC_H - LC_B + 31);
		rpt_html_day(f, r->days[i].day, "%d %b");
		fputs("</text>", f);
	}
}

static void
lc_line(FILE *f, const struct rpt_report *r, int64_t top, int breaches,
    const char *colour)
{
	int plot = LC_H - LC_T - LC_B;
	int64_t v;
	double y;

	fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" "
	    "stroke-linejoin=\"round\" points=\"", colour);
	for (size_t i = 0; i < r->ndays; i++) {
		v = breaches ? r->days[i].breaches : r->days[i].attempts;
		fprintf(f, "%.1f,%.1f ", lc_x(r, i),
		    LC_T + plot - plot * (double)v / (double)top);
	}
	fputs("\"/>", f);
	if (r->ndays > 40)
		return;
	for (size_t i = 0; i < r->ndays; i++) {
		v = breaches ? r->days[i].breaches : r->days[i].attempts;
		y = LC_T + plot - plot * (double)v / (double)top;
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" "
		    "fill=\"%s\"><title>%" PRId64 "</title></circle>",
		    lc_x(r, i), y, colour, v);
	}
}

static void
html_line_chart(FILE *f, const struct rpt_report *r)
{
	int64_t max = 0;

	for (size_t i = 0; i < r->ndays; i++) {
		if (r->days[i].attempts > max)
			max = r->days[i].attempts;
		if (r->days[i].breaches > max)
			max = r->days[i].breaches;
	}
	max = html_nice(max);
	fputs("<figure><h3>Attempts and breaches per day</h3>", f);
	fprintf(f, "<svg role=\"img\" aria-label=\"attempts per day\" "
	    "viewBox=\"0 0 %d %d\" width=\"100%%\" "
	    "xmlns=\"http://www.w3.org/2000/svg\"><defs><pattern id=\"norec\" "
	    "width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" "
	    "patternTransform=\"rotate(45)\"><rect width=\"3\" height=\"8\" "
	    "fill=\"#98a2b3\" opacity=\"0.45\"/></pattern></defs>", LC_W, LC_H);
	lc_bands(f, r);
	lc_axes(f, r, max);
	lc_line(f, r, max, 1, H_AMBER);
	lc_line(f, r, max, 0, H_RED);
	fputs("</svg><figcaption class=\"legend\">"
	    "<span><i class=\"sw\" style=\"background:" H_RED "\"></i>blocked "
	    "attempts</span><span><i class=\"sw\" style=\"background:" H_AMBER
	    "\"></i>logged breaches</span><span><i class=\"sw\" "
	    "style=\"background:#eef0f3;border:1px solid #d0d5dd\"></i>not a "
	    "school day (weekend or holiday)</span><span><i class=\"sw\" "
	    "style=\"background:#fde7c8\"></i>closure", f);
	for (size_t i = 0, n = 0; i < r->ndays; i++)
		if (r->days[i].closure[0] != '\0') {
			fputs(n++ ? ", " : ": ", f);
			rpt_html_put(f, r->days[i].closure);
			fputs(" ", f);
			rpt_html_day(f, r->days[i].day, "%d %b");
		}
	fputs("</span><span><i class=\"sw\" style=\"background:"
	    "repeating-linear-gradient(45deg,#98a2b3 0 2px,#fff 2px 5px)\">"
	    "</i>nothing recorded that day</span></figcaption></figure>\n", f);
}

static void
html_bars(FILE *f, const struct rpt_report *r)
{
	int64_t max = 1;
	int rowh = 26, w = 540, lab = 150, bw = w - lab - 50;
	double a, b;

	for (size_t i = 0; i < r->napps; i++)
		if (r->apps[i].attempts + r->apps[i].breaches > max)
			max = r->apps[i].attempts + r->apps[i].breaches;
	fputs("<figure><h3>Top apps <small>(blocked and logged)</small></h3>",
	    f);
	if (r->napps == 0) {
		fputs("<p class=\"none\">None in this period.</p></figure>", f);
		return;
	}
	fprintf(f, "<svg role=\"img\" aria-label=\"top apps\" viewBox=\"0 0 %d "
	    "%d\" width=\"100%%\" xmlns=\"http://www.w3.org/2000/svg\">", w,
	    (int)r->napps * rowh + 4);
	for (size_t i = 0; i < r->napps; i++) {
		int y = (int)i * rowh + 2;

		a = (double)bw * (double)r->apps[i].attempts / (double)max;
		b = (double)bw * (double)r->apps[i].breaches / (double)max;
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"13\" "
		    "text-anchor=\"end\" fill=\"#344054\">", lab - 8, y + 17);
		rpt_html_put(f, r->apps[i].app);
		fprintf(f, "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" "
		    "height=\"%d\" fill=\"" H_RED "\"/><rect x=\"%.1f\" y=\"%d\" "
		    "width=\"%.1f\" height=\"%d\" fill=\"" H_AMBER "\"/>"
		    "<text x=\"%.1f\" y=\"%d\" font-size=\"13\" fill=\"#344054\">"
		    "%" PRId64 "</text>", lab, y + 3, a, rowh - 8, lab + a,
		    y + 3, b, rowh - 8, lab + a + b + 6, y + 17,
		    r->apps[i].attempts + r->apps[i].breaches);
	}
	fputs("</svg></figure>", f);
}

static void
html_heat_cells(FILE *f, const struct rpt_report *r, int lab, int top,
    int cw, int ch)
{
	static const char *const wd[7] = {
		"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"
	};
	double op;

	for (int d = 0; d < 7; d++) {
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\" "
		    "fill=\"#475467\" text-anchor=\"end\">%s</text>", lab - 6,
		    top + d * ch + ch - 6, wd[d]);
		for (int h = 0; h < 24; h++) {
			op = r->heat_max ? 0.12 + 0.88 * (double)r->heat[d][h] /
			    (double)r->heat_max : 0;
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
			    "height=\"%d\" fill=\"%s\" fill-opacity=\"%.2f\">"
			    "<title>%s %02d:00 %" PRId64 "</title></rect>",
			    lab + h * cw + 1, top + d * ch + 1, cw - 2, ch - 2,
			    r->heat[d][h] ? H_RED : "#e9ecf0",
			    r->heat[d][h] ? op : 1.0, wd[d], h, r->heat[d][h]);
		}
	}
	for (int h = 0; h < 24; h += 3)
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" "
		    "fill=\"#475467\">%02d</text>", lab + h * cw + 2, top - 5, h);
}

/* The school-hours box over the weekdays it applies to. */
static void
html_heat_hours(FILE *f, const struct rpt_report *r, int lab, int top,
    int cw, int ch)
{
	int first = -1, last = -1;

	for (int d = 0; d < 7; d++)
		if (r->hours_weekdays & (1u << d)) {
			if (first < 0)
				first = d;
			last = d;
		}
	if (first < 0 || r->hours_end <= r->hours_start)
		return;
	fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
	    "fill=\"none\" stroke=\"" H_NAVY "\" stroke-width=\"2\" "
	    "stroke-dasharray=\"5 3\"/>", lab + r->hours_start * cw / 60.0,
	    top + first * ch, (r->hours_end - r->hours_start) * cw / 60.0,
	    (last - first + 1) * ch);
}

static void
html_heat(FILE *f, const struct rpt_report *r)
{
	int lab = 40, top = 18, cw = 20, ch = 26;

	fputs("<figure><h3>Time of day <small>(blocked and logged, by hour "
	    "and weekday)</small></h3>", f);
	fprintf(f, "<svg role=\"img\" aria-label=\"hour of day heat map\" "
	    "viewBox=\"0 0 %d %d\" width=\"100%%\" "
	    "xmlns=\"http://www.w3.org/2000/svg\">", lab + 24 * cw + 4,
	    top + 7 * ch + 4);
	html_heat_cells(f, r, lab, top, cw, ch);
	html_heat_hours(f, r, lab, top, cw, ch);
	fprintf(f, "</svg><figcaption>Darker: more. Dashed box: school hours. "
	    "Busiest hour: %" PRId64 ".</figcaption></figure>", r->heat_max);
}

void
rpt_html_charts(FILE *f, const struct rpt_report *r)
{
	fputs("<section><h2>Patterns over the period</h2>", f);
	html_line_chart(f, r);
	fputs("<div class=\"two\">", f);
	html_bars(f, r);
	html_heat(f, r);
	fputs("</div></section>\n", f);
}
