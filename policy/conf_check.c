/*
 * The one validator (conf_load_checked in config.h): what a config must
 * pass before anything enforces it, beyond what the file alone shows.
 * "run", "reload" (SIGHUP and the control socket) and "check-config" all
 * call it, so they accept and refuse the same files with the same
 * FILE:LINE errors.
 *
 * A protocol name nDPI 4.2 lacks would otherwise match nothing, silently:
 * a category listing "Facebok" lets TLS.Facebook through.  The protocols
 * file is checked line by line because nDPI's loader reports no line and
 * returns success whatever it skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "conf_priv.h"
#include "protofile.h"

/* The protocols a protocols file defines, and where errors go. */
struct conf_pf {
	struct conf_ctx	*c;
	char		**names;
	size_t		 nnames;
};

static void
conf_pf_bad(unsigned line, const char *msg, void *arg)
{
	struct conf_pf *pf = arg;

	conf_err_at(pf->c, pf->c->conf->protocols_file, (int)line, "%s", msg);
}

static void
conf_pf_name(const char *proto, void *arg)
{
	struct conf_pf *pf = arg;
	char **v, *s;

	if ((s = strdup(proto)) == NULL ||
	    (v = reallocarray(pf->names, pf->nnames + 1, sizeof(*v))) == NULL) {
		free(s);
		conf_err(pf->c, NULL, "out of memory");
		return;
	}
	v[pf->nnames++] = s;
	pf->names = v;
}

/* 0 if the file is good (or there is none), -1 if it was reported. */
static int
conf_check_protocols_file(struct conf_ctx *c, struct conf_pf *pf)
{
	const struct protofile_report rep = { conf_pf_bad, conf_pf_name, pf };
	const struct sg_config *conf = c->conf;
	char err[256];
	int bad;

	if (conf->protocols_file == NULL)
		return 0;
	if ((bad = protofile_check(conf->protocols_file, &rep, err,
	    sizeof(err))) == -1)
		conf_err_at(c, conf->path, conf->protocols_file_line,
		    "classification: protocols_file \"%s\": %s",
		    conf->protocols_file, err);
	return bad == 0 ? 0 : -1;
}

static void
conf_check_name(struct conf_ctx *c, struct cls_module *m,
    const struct conf_pf *pf, const char *name, int line)
{
	if (cls_protocol_known(m, name))
		return;
	/* defined by a protocols file that had errors, so not loaded */
	for (size_t i = 0; i < pf->nnames; i++)
		if (strcmp(pf->names[i], name) == 0)
			return;
	conf_err_at(c, c->conf->path, line, "nDPI 4.2 has no protocol \"%s\" "
	    "(use a host pattern for sites it lacks)", name);
}

static void
conf_check_names(struct conf_ctx *c, struct cls_module *m,
    const struct conf_pf *pf)
{
	const struct sg_config *conf = c->conf;

	for (size_t i = 0; i < conf->ncategories; i++)
		for (size_t j = 0; j < conf->categories[i].nprotocols; j++)
			conf_check_name(c, m, pf,
			    conf->categories[i].protocols[j],
			    conf->categories[i].line);
	for (size_t i = 0; i < conf->nrules; i++)
		for (size_t j = 0; j < conf->rules[i].napps; j++)
			conf_check_name(c, m, pf, conf->rules[i].apps[j],
			    conf->rules[i].line);
	for (size_t i = 0; i < conf->naccounts; i++)
		if (conf->accounts[i].app != NULL)
			conf_check_name(c, m, pf, conf->accounts[i].app,
			    conf->accounts[i].line);
}

static struct sg_config *
conf_load_checking(const char *path, struct conf_errors *errs, bool ndpi)
{
	struct conf_ctx c = { .errs = errs, .path = path };
	struct conf_pf pf = { .c = &c };
	struct cls_module *m = NULL;
	char err[256];
	int pf_ok;

	if ((c.conf = conf_load(path, errs)) == NULL)
		return NULL;
	pf_ok = conf_check_protocols_file(&c, &pf) == 0;
	/* a bad file is not loaded: its names are taken from its good lines */
	if (ndpi && (m = cls_module_new(pf_ok ? c.conf->protocols_file : NULL,
	    err, sizeof(err))) == NULL)
		conf_err_at(&c, path, pf_ok ? c.conf->protocols_file_line : 0,
		    "nDPI: %s", err);
	else if (ndpi)
		conf_check_names(&c, m, &pf);
	cls_module_free(m);
	for (size_t i = 0; i < pf.nnames; i++)
		free(pf.names[i]);
	free(pf.names);
	if (c.nerr > 0) {
		conf_free(c.conf);
		return NULL;
	}
	return c.conf;
}

struct sg_config *
conf_load_checked(const char *path, struct conf_errors *errs)
{
	return conf_load_checking(path, errs, true);
}

struct sg_config *
conf_load_checked_but_names(const char *path, struct conf_errors *errs)
{
	return conf_load_checking(path, errs, false);
}
