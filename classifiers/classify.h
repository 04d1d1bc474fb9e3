/*
 * Application classification.  This header is nDPI-free on purpose: the
 * rest of schoolgate sees protocol names and host names only, and only
 * classifiers/ includes nDPI's headers.
 */
#ifndef SG_CLASSIFY_H
#define SG_CLASSIFY_H

#include <stdbool.h>
#include "sg.h"

struct cls_module;	/* one per thread: nDPI's module is not thread safe */
struct cls_flow;

struct cls_result {
	char		 app[SG_APP_MAX];	/* "TLS.Facebook", "DNS", "Unknown" */
	char		 master[SG_APP_MAX / 2];	/* "TLS", "" if none */
	char		 proto[SG_APP_MAX / 2];	/* "Facebook", or the master */
	char		 host[SG_HOST_MAX];	/* SNI, Host or DNS query name */
	enum sg_host_src host_src;
	bool		 done;		/* nothing more to learn from this flow */
	bool		 detected;	/* nDPI found a protocol (not a guess) */
};

/*
 * protocols_file: extra nDPI "host:" lines, may be NULL.  On error returns
 * NULL and writes a reason to err.
 */
struct cls_module *cls_module_new(const char *protocols_file, char *err,
		    size_t errlen);
void		 cls_module_free(struct cls_module *);

struct cls_flow	*cls_flow_new(struct cls_module *);
void		 cls_flow_free(struct cls_flow *);

/*
 * Feed one L3 packet (the IP header onwards, as NFQUEUE delivers it) and
 * refresh *res.  res->done becomes true once nDPI has a final answer and
 * no further dissection would add to it.
 */
void		 cls_process(struct cls_module *, struct cls_flow *,
		    const uint8_t *l3, size_t len, uint64_t ts_ms,
		    struct cls_result *res);
/* No more packets will come: take nDPI's best guess. */
void		 cls_giveup(struct cls_module *, struct cls_flow *,
		    struct cls_result *res);

/*
 * The app nDPI's host list gives a name ("www.facebook.com" -> "Facebook"),
 * for names learnt from DNS and for explain.  False if it knows none.
 */
bool		 cls_app_for_host(struct cls_module *, const char *host,
		    char *proto, size_t len);

/* nDPI's name for a protocol, for check-config: false if 4.2 lacks it. */
bool		 cls_protocol_known(struct cls_module *, const char *name);

#endif
