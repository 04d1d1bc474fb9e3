/*
 * The staff directory: identity.people_file, a CSV export from the
 * school's directory or MIS, read with the config (so again on every
 * reload).  The first line names the columns, in any order:
 *
 *	id,name,group,logins,roles,devices
 *	jsmith,John Smith,staff,john.smith@school.sch.uk,teacher,02:...:03
 *
 * id, name and group are required; logins, roles and devices (MAC
 * addresses, registered as devices the person owns) are lists separated
 * by ';' or spaces.  People listed in schoolgate.conf stay; an id in both
 * is an error.  Every bad row is reported as FILE:LINE: message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_priv.h"

#define PF_LINE_MAX	4096
#define PF_ROWS_MAX	100000
#define PF_DEVICES_MAX	16	/* per person */

enum { PF_ID, PF_NAME, PF_GROUP, PF_LOGINS, PF_ROLES, PF_DEVICES, PF_NCOLS };

static const char *const pf_cols[PF_NCOLS] = {
	"id", "name", "group", "logins", "roles", "devices",
};

struct pf_reader {
	struct conf_ctx	*c;
	const char	*path;
	int		 line;
	int		 col[PF_NCOLS];	/* field index of each column, or -1 */
	size_t		 nfields;
};

/*
 * Split one line into fields, in place: commas separate, a field may be
 * quoted ("a, b" and "say ""hi""").  Returns the number of fields, or -1
 * with the reason in *why.
 */
static int
pf_split(char *s, char **f, size_t max, const char **why)
{
	size_t n = 0;
	char *w;

	for (;;) {
		if (n == max) {
			*why = "too many columns";
			return -1;
		}
		f[n++] = w = s;
		if (*s == '"') {
			for (s++;; s++) {
				if (*s == '\0') {
					*why = "unterminated quoted field";
					return -1;
				}
				if (*s == '"' && s[1] != '"')
					break;
				*w++ = *s == '"' ? *s++ : *s;
			}
			s++;
			if (*s != ',' && *s != '\0') {
				*why = "text after a quoted field";
				return -1;
			}
		} else {
			while (*s != ',' && *s != '\0')
				*w++ = *s++;
		}
		if (*s == '\0') {
			*w = '\0';
			return (int)n;
		}
		s++;
		*w = '\0';
	}
}

static int
pf_header(struct pf_reader *r, char **f, int n)
{
	for (int k = 0; k < PF_NCOLS; k++)
		r->col[k] = -1;
	for (int i = 0; i < n; i++) {
		const char *name = sg_trim(f[i]);
		int k;

		for (k = 0; k < PF_NCOLS; k++)
			if (strcasecmp(name, pf_cols[k]) == 0)
				break;
		if (k == PF_NCOLS || r->col[k] >= 0) {
			conf_err_at(r->c, r->path, r->line, "%s column \"%s\" "
			    "(id, name, group, logins, roles, devices)",
			    k == PF_NCOLS ? "unknown" : "repeated", name);
			return -1;
		}
		r->col[k] = i;
	}
	for (int k = PF_ID; k <= PF_GROUP; k++)
		if (r->col[k] < 0) {
			conf_err_at(r->c, r->path, r->line, "no \"%s\" column",
			    pf_cols[k]);
			return -1;
		}
	r->nfields = (size_t)n;
	return 0;
}

/* A list cell: items separated by ';' or blanks, each a valid name. */
static int
pf_list(struct pf_reader *r, char *cell, const char *what, char ***out,
    size_t *nout)
{
	char *save = NULL, *tok;
	char **v;

	for (tok = strtok_r(cell, "; \t", &save); tok != NULL;
	    tok = strtok_r(NULL, "; \t", &save)) {
		if (!conf_text_ok(tok, SG_NAME_MAX)) {
			conf_err_at(r->c, r->path, r->line, "invalid %s \"%s\"",
			    what, tok);
			return -1;
		}
		if ((v = realloc(*out, (*nout + 1) * sizeof(*v))) == NULL ||
		    (v[*nout] = strdup(tok)) == NULL) {
			if (v != NULL)
				*out = v;
			conf_err_at(r->c, r->path, r->line, "out of memory");
			return -1;
		}
		*out = v;
		(*nout)++;
	}
	return 0;
}

static void
pf_person_free(struct conf_person *p)
{
	free(p->id);
	free(p->name);
	for (size_t i = 0; i < p->nroles; i++)
		free(p->roles[i]);
	free(p->roles);
	for (size_t i = 0; i < p->nlogins; i++)
		free(p->logins[i]);
	free(p->logins);
	memset(p, 0, sizeof(*p));
}

static int
pf_check_id(struct pf_reader *r, const char *id)
{
	int dup;

	if (!conf_text_ok(id, SG_NAME_MAX) || id[0] == '!') {
		conf_err_at(r->c, r->path, r->line, "invalid id \"%s\"", id);
		return -1;
	}
	if ((dup = conf_person_index(r->c->conf, id)) >= 0) {
		conf_err_at(r->c, r->path, r->line, "person \"%s\" is already "
		    "defined (line %d%s)", id, r->c->conf->people[dup].line,
		    dup < r->c->nconf_people ? " of the config" : "");
		return -1;
	}
	return 0;
}

static int
pf_person(struct pf_reader *r, char **f, struct conf_person *p)
{
	const char *id = sg_trim(f[r->col[PF_ID]]);
	const char *name = sg_trim(f[r->col[PF_NAME]]);
	const char *group = sg_trim(f[r->col[PF_GROUP]]);

	memset(p, 0, sizeof(*p));
	p->line = r->line;
	if (pf_check_id(r, id) == -1)
		return -1;
	if (!conf_text_ok(name, CONF_TEXT_MAX)) {
		conf_err_at(r->c, r->path, r->line, "person \"%s\": invalid "
		    "name", id);
		return -1;
	}
	if ((p->group = conf_group_index(r->c->conf, group)) < 0) {
		conf_err_at(r->c, r->path, r->line, "person \"%s\": unknown "
		    "group \"%s\"", id, group);
		return -1;
	}
	if ((p->id = strdup(id)) == NULL || (p->name = strdup(name)) == NULL) {
		conf_err_at(r->c, r->path, r->line, "out of memory");
		return -1;
	}
	if ((r->col[PF_LOGINS] >= 0 && pf_list(r, f[r->col[PF_LOGINS]],
	    "login", &p->logins, &p->nlogins) == -1) ||
	    (r->col[PF_ROLES] >= 0 && pf_list(r, f[r->col[PF_ROLES]], "role",
	    &p->roles, &p->nroles) == -1))
		return -1;
	return 0;
}

/* The devices cell: MACs kept until the config's devices are parsed. */
static int
pf_devices(struct pf_reader *r, char *cell, int owner)
{
	char *save = NULL, *tok;
	struct conf_pending_mac *v;
	int n = 0;

	for (tok = strtok_r(cell, "; \t", &save); tok != NULL;
	    tok = strtok_r(NULL, "; \t", &save)) {
		struct conf_pending_mac m = { .owner = owner, .line = r->line,
		    .n = ++n };

		if (n > PF_DEVICES_MAX) {
			conf_err_at(r->c, r->path, r->line, "more than %d "
			    "devices", PF_DEVICES_MAX);
			return -1;
		}
		if (sg_mac_parse(tok, m.mac) == -1) {
			conf_err_at(r->c, r->path, r->line, "invalid MAC "
			    "\"%s\"", tok);
			return -1;
		}
		if ((v = realloc(r->c->macs, (r->c->nmacs + 1) *
		    sizeof(*v))) == NULL) {
			conf_err_at(r->c, r->path, r->line, "out of memory");
			return -1;
		}
		r->c->macs = v;
		v[r->c->nmacs++] = m;
	}
	return 0;
}

static void
pf_row(struct pf_reader *r, char *line)
{
	struct sg_config *conf = r->c->conf;
	struct conf_person p, *v;
	const char *why = NULL;
	char *f[PF_NCOLS + 1];
	int n;

	if ((n = pf_split(line, f, PF_NCOLS + 1, &why)) == -1 ||
	    (size_t)n != r->nfields) {
		conf_err_at(r->c, r->path, r->line, "%s", why ? why :
		    "not as many columns as the header");
		return;
	}
	if (pf_person(r, f, &p) == -1 ||
	    (v = realloc(conf->people, (conf->npeople + 1) *
	    sizeof(*v))) == NULL) {
		pf_person_free(&p);
		return;
	}
	conf->people = v;
	v[conf->npeople++] = p;
	if (r->col[PF_DEVICES] >= 0)
		pf_devices(r, f[r->col[PF_DEVICES]], (int)conf->npeople - 1);
}

/* 1 with the next line in *buf, 0 at the end, -1 for a bad line. */
static int
pf_read_line(struct pf_reader *r, FILE *fp, char **buf, size_t *cap)
{
	ssize_t n = getline(buf, cap, fp);

	if (n < 0)
		return 0;
	r->line++;
	if (n > 0 && (*buf)[n - 1] == '\n')
		(*buf)[--n] = '\0';
	if (n > 0 && (*buf)[n - 1] == '\r')
		(*buf)[--n] = '\0';
	if (n > PF_LINE_MAX) {
		conf_err_at(r->c, r->path, r->line, "line too long");
		return -1;
	}
	if (memchr(*buf, '\0', (size_t)n) != NULL) {
		conf_err_at(r->c, r->path, r->line, "NUL byte in line");
		return -1;
	}
	return 1;
}

void
conf_load_people_file(struct conf_ctx *c, const char *path)
{
	struct pf_reader r = { .c = c, .path = path };
	char *buf = NULL, *f[PF_NCOLS + 1];
	const char *why = NULL;
	bool header = false;
	size_t cap = 0;
	FILE *fp;
	int rc, n;

	c->people_file = path;
	c->nconf_people = (int)c->conf->npeople;
	if ((fp = fopen(path, "r")) == NULL) {
		conf_err_at(c, path, 0, "cannot open: %s", strerror(errno));
		return;
	}
	while ((rc = pf_read_line(&r, fp, &buf, &cap)) != 0) {
		if (rc == -1 || sg_trim(buf)[0] == '\0' || buf[0] == '#')
			continue;
		if (header) {
			if (c->conf->npeople - (size_t)c->nconf_people >=
			    PF_ROWS_MAX) {
				conf_err_at(c, path, r.line, "more than %d "
				    "people", PF_ROWS_MAX);
				break;
			}
			pf_row(&r, buf);
			continue;
		}
		if ((n = pf_split(buf, f, PF_NCOLS + 1, &why)) == -1)
			conf_err_at(c, path, r.line, "%s", why);
		else if (pf_header(&r, f, n) == 0)
			header = true;
		if (!header)
			break;
	}
	if (!header && rc == 0)
		conf_err_at(c, path, r.line > 0 ? r.line : 1, "no header line");
	free(buf);
	fclose(fp);
}

/* After the config's devices: each MAC the file listed becomes a device
 * "ID-N" owned by its person, unless the config registers it already. */
void
conf_add_people_devices(struct conf_ctx *c)
{
	struct sg_config *conf = c->conf;
	struct conf_device *v;
	char name[SG_NAME_MAX + 8];

	for (size_t i = 0; i < c->nmacs; i++) {
		const struct conf_pending_mac *m = &c->macs[i];
		struct conf_device d = { .has_mac = true, .owner = m->owner,
		    .group = -1, .line = m->line };

		memcpy(d.mac, m->mac, 6);
		snprintf(name, sizeof(name), "%s-%d", conf->people[m->owner].id,
		    m->n);
		for (size_t j = 0; j < conf->ndevices; j++)
			if (conf->devices[j].has_mac &&
			    memcmp(conf->devices[j].mac, m->mac, 6) == 0)
				conf_err_at(c, c->people_file, m->line, "MAC "
				    "already used by device \"%s\"",
				    conf->devices[j].name);
		if (conf_device_index(conf, name) >= 0)
			conf_err_at(c, c->people_file, m->line, "device \"%s\" "
			    "is already defined", name);
		if ((d.name = strdup(name)) == NULL ||
		    (v = realloc(conf->devices, (conf->ndevices + 1) *
		    sizeof(*v))) == NULL) {
			free(d.name);
			conf_err_at(c, c->people_file, m->line, "out of memory");
			break;
		}
		conf->devices = v;
		v[conf->ndevices++] = d;
	}
	free(c->macs);
	c->macs = NULL;
	c->nmacs = 0;
}
