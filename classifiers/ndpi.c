/*
 * The nDPI 4.2 classifier.  This is the only file that includes nDPI's
 * headers: everything else sees struct cls_result.
 *
 * libndpi is loaded with dlopen() by the first cls_module_new(), never
 * linked: a process that builds no module (the privileged monitor of
 * docs/PRIVSEP.md) never maps the library that parses hostile bytes.
 * The headers are still used for types and macros, and each function
 * pointer below has the type of nDPI's own declaration.
 */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ndpi_api.h>

#include "classify.h"

/* Debian 12's libndpi4.2 package: the SONAME, so no -dev package needed */
#define CLS_NDPI_SONAME		"libndpi.so.4.2"

#define CLS_NDPI_FUNCS(X)					\
	X(ndpi_init_detection_module)				\
	X(ndpi_set_protocol_detection_bitmask2)			\
	X(ndpi_load_protocols_file)				\
	X(ndpi_finalize_initialization)				\
	X(ndpi_exit_detection_module)				\
	X(ndpi_calloc)						\
	X(ndpi_detection_get_sizeof_ndpi_flow_struct)		\
	X(ndpi_free_flow)					\
	X(ndpi_protocol2name)					\
	X(ndpi_get_proto_name)					\
	X(ndpi_extra_dissection_possible)			\
	X(ndpi_detection_process_packet)			\
	X(ndpi_detection_giveup)				\
	X(ndpi_match_string_subprotocol)			\
	X(ndpi_get_protocol_id)

#define CLS_FN_FIELD(name)	__typeof__(name) *name;
static struct {
	CLS_NDPI_FUNCS(CLS_FN_FIELD)
} nd;
#undef CLS_FN_FIELD

static pthread_once_t	 cls_load_once = PTHREAD_ONCE_INIT;
static char		 cls_load_err[256] = "not loaded"; /* "" once loaded */

/* Never dlclose()d: nDPI keeps process-wide state between modules. */
static void
cls_load(void)
{
	void	*h;
	void	*sym;

	if ((h = dlopen(CLS_NDPI_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(cls_load_err, sizeof(cls_load_err), "%s", dlerror());
		return;
	}
#define CLS_FN_LOAD(name)						\
	if ((sym = dlsym(h, #name)) == NULL) {				\
		snprintf(cls_load_err, sizeof(cls_load_err),		\
		    "%s: no symbol %s", CLS_NDPI_SONAME, #name);	\
		return;							\
	}								\
	memcpy(&nd.name, &sym, sizeof(sym));
	CLS_NDPI_FUNCS(CLS_FN_LOAD)
#undef CLS_FN_LOAD
	cls_load_err[0] = '\0';
}

struct cls_module {
	struct ndpi_detection_module_struct *ndpi;
};

struct cls_flow {
	struct ndpi_flow_struct	*ndpi;
	/*
	 * A verdict is never final before the first packet carrying a
	 * payload: 4.2 can claim DPI confidence from ports or addresses
	 * alone (the TargusDataspeed SYN being the known case).
	 */
	bool			 payload_seen;
};

#define CLS_IPPROTO_TCP		6
#define CLS_IPPROTO_UDP		17

static bool	cls_payload_in_l4(uint8_t, const uint8_t *, size_t);
static bool	cls_packet_has_payload(const uint8_t *, size_t);

static void
cls_seterr(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

/* nDPI prints its own complaint for a missing file: spare the log that. */
static int
cls_readable(const char *path, char *err, size_t errlen)
{
	struct stat	 st;
	FILE		*fp;
	int		 ret = -1;

	if ((fp = fopen(path, "r")) == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(fp), &st) == -1 || !S_ISREG(st.st_mode)) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: not a regular file", path);
		goto close_fp;
	}
	ret = 0;
 close_fp:
	fclose(fp);
	return ret;
}

struct cls_module *
cls_module_new(const char *protocols_file, char *err, size_t errlen)
{
	struct cls_module	*mod;
	NDPI_PROTOCOL_BITMASK	 all;

	if (pthread_once(&cls_load_once, cls_load) != 0 ||
	    cls_load_err[0] != '\0') {
		cls_seterr(err, errlen, cls_load_err[0] != '\0' ?
		    cls_load_err : "cannot load nDPI");
		return NULL;
	}
	if ((mod = calloc(1, sizeof(*mod))) == NULL) {
		cls_seterr(err, errlen, "out of memory");
		return NULL;
	}
	if ((mod->ndpi = nd.ndpi_init_detection_module(ndpi_no_prefs)) == NULL) {
		cls_seterr(err, errlen, "nDPI initialisation failed");
		goto free_mod;
	}
	/* 4.2 calls any TCP flow to port 5001/5201 TargusDataspeed on its SYN */
	NDPI_BITMASK_SET_ALL(all);
	NDPI_DEL_PROTOCOL_FROM_BITMASK(all, NDPI_PROTOCOL_TARGUS_GETDATA);
	nd.ndpi_set_protocol_detection_bitmask2(mod->ndpi, &all);
	if (protocols_file != NULL) {
		if (cls_readable(protocols_file, err, errlen) == -1)
			goto exit_ndpi;
		if (nd.ndpi_load_protocols_file(mod->ndpi, protocols_file) != 0) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "%s: cannot load nDPI "
				    "protocols file", protocols_file);
			goto exit_ndpi;
		}
	}
	nd.ndpi_finalize_initialization(mod->ndpi);
	return mod;

 exit_ndpi:
	nd.ndpi_exit_detection_module(mod->ndpi);
 free_mod:
	free(mod);
	return NULL;
}

void
cls_module_free(struct cls_module *mod)
{
	if (mod == NULL)
		return;
	nd.ndpi_exit_detection_module(mod->ndpi);
	free(mod);
}

struct cls_flow *
cls_flow_new(struct cls_module *mod)
{
	struct cls_flow	*flow;

	if ((flow = calloc(1, sizeof(*flow))) == NULL)
		return NULL;
	/* ndpi_free_flow() releases it with ndpi_free(), so pair the two */
	flow->ndpi = nd.ndpi_calloc(1,
	    nd.ndpi_detection_get_sizeof_ndpi_flow_struct());
	if (flow->ndpi == NULL) {
		free(flow);
		return NULL;
	}
	return flow;
}

void
cls_flow_free(struct cls_flow *flow)
{
	if (flow == NULL)
		return;
	/* 4.2: frees the flow's internal buffers and then the struct itself */
	nd.ndpi_free_flow(flow->ndpi);
	free(flow);
}

static void
cls_copy_lower(char *dst, size_t dstlen, const char *src)
{
	size_t	 i;

	for (i = 0; i + 1 < dstlen && src[i] != '\0'; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

static enum sg_host_src
cls_host_src_of(uint16_t id)
{
	switch (id) {
	case NDPI_PROTOCOL_TLS:
	case NDPI_PROTOCOL_QUIC:
	case NDPI_PROTOCOL_DTLS:
		return SG_HOST_SNI;
	case NDPI_PROTOCOL_HTTP:
	case NDPI_PROTOCOL_HTTP_PROXY:
	case NDPI_PROTOCOL_HTTP_CONNECT:
		return SG_HOST_HTTP;
	case NDPI_PROTOCOL_DNS:
	case NDPI_PROTOCOL_MDNS:
	case NDPI_PROTOCOL_LLMNR:
		return SG_HOST_DNS;
	default:
		return SG_HOST_NONE;
	}
}

static bool
cls_confidence_final(const struct ndpi_flow_struct *f)
{
	return f->confidence == NDPI_CONFIDENCE_DPI ||
	    f->confidence == NDPI_CONFIDENCE_DPI_CACHE;
}

/*
 * 4.2 returns the same id in both slots, or only the master, for a flow
 * with no sub-protocol: normalise to app = the most specific protocol and
 * master = the carrier only when it differs.
 */
static void
cls_fill(struct cls_module *mod, struct cls_flow *flow, ndpi_protocol p,
    struct cls_result *res)
{
	struct ndpi_flow_struct	*f = flow->ndpi;
	uint16_t		 app = p.app_protocol, master = p.master_protocol;
	char			 buf[SG_APP_MAX];

	if (app == NDPI_PROTOCOL_UNKNOWN) {
		app = master;
		master = NDPI_PROTOCOL_UNKNOWN;
	}
	if (master == app)
		master = NDPI_PROTOCOL_UNKNOWN;
	p.app_protocol = app;
	p.master_protocol = master;

	memset(res, 0, sizeof(*res));
	nd.ndpi_protocol2name(mod->ndpi, p, buf, sizeof(buf));
	snprintf(res->app, sizeof(res->app), "%s", buf);
	snprintf(res->proto, sizeof(res->proto), "%s",
	    nd.ndpi_get_proto_name(mod->ndpi, app));
	if (master != NDPI_PROTOCOL_UNKNOWN)
		snprintf(res->master, sizeof(res->master), "%s",
		    nd.ndpi_get_proto_name(mod->ndpi, master));

	cls_copy_lower(res->host, sizeof(res->host), f->host_server_name);
	if (res->host[0] != '\0') {
		res->host_src = cls_host_src_of(master);
		if (res->host_src == SG_HOST_NONE)
			res->host_src = cls_host_src_of(app);
	}
	res->detected = app != NDPI_PROTOCOL_UNKNOWN && cls_confidence_final(f);
}

/*
 * ndpi_extra_dissection_possible() keeps saying yes for a TLS flow whose
 * certificate never shows (a resumed session), even after the engine has
 * used up its extra-packet budget and stopped looking.
 */
static bool
cls_more_to_dissect(struct cls_module *mod, struct ndpi_flow_struct *f)
{
	if (!f->check_extra_packets || f->extra_packets_func == NULL)
		return false;
	return nd.ndpi_extra_dissection_possible(mod->ndpi, f) != 0;
}

void
cls_process(struct cls_module *mod, struct cls_flow *flow, const uint8_t *l3,
    size_t len, uint64_t ts_ms, struct cls_result *res)
{
	ndpi_protocol	 p;

	/* nDPI takes an unsigned short; a GSO super-packet can be longer */
	if (len > 0xffff)
		len = 0xffff;
	if (cls_packet_has_payload(l3, len))
		flow->payload_seen = true;
	p = nd.ndpi_detection_process_packet(mod->ndpi, flow->ndpi, l3,
	    (unsigned short)len, ts_ms);
	cls_fill(mod, flow, p, res);
	res->done = res->detected && flow->payload_seen &&
	    !cls_more_to_dissect(mod, flow->ndpi);
}

void
cls_giveup(struct cls_module *mod, struct cls_flow *flow,
    struct cls_result *res)
{
	ndpi_protocol	 p;
	uint8_t		 guessed = 0;

	p = nd.ndpi_detection_giveup(mod->ndpi, flow->ndpi, 1, &guessed);
	cls_fill(mod, flow, p, res);
	if (guessed)
		res->detected = false;
	res->done = true;
}

bool
cls_app_for_host(struct cls_module *mod, const char *host, char *proto,
    size_t len)
{
	ndpi_protocol_match_result match;
	char name[256];
	int id;

	if (host == NULL || len == 0)
		return false;
	proto[0] = '\0';
	cls_copy_lower(name, sizeof(name), host);
	if (name[0] == '\0')
		return false;
	memset(&match, 0, sizeof(match));
	id = nd.ndpi_match_string_subprotocol(mod->ndpi, name,
	    (u_int)strlen(name), &match);
	if (id <= NDPI_PROTOCOL_UNKNOWN)
		return false;
	snprintf(proto, len, "%s", nd.ndpi_get_proto_name(mod->ndpi,
	    (u_int16_t)id));
	return true;
}

bool
cls_protocol_known(struct cls_module *mod, const char *name)
{
	char	 copy[SG_APP_MAX];
	int	 n;

	n = snprintf(copy, sizeof(copy), "%s", name);
	if (n < 0 || (size_t)n >= sizeof(copy))
		return false;
	return nd.ndpi_get_protocol_id(mod->ndpi, copy) >= 0;
}

/*
 * Just enough of IPv4/IPv6/TCP/UDP to tell whether a packet carries
 * application bytes.  Anything malformed counts as no payload.
 */
static bool
cls_packet_has_payload(const uint8_t *p, size_t len)
{
	size_t	 hlen, tot, off;
	uint8_t	 nh;
	int	 hops;

	if (len < 1)
		return false;
	if ((p[0] >> 4) == 4) {
		if (len < 20)
			return false;
		hlen = (size_t)(p[0] & 0x0f) * 4;
		tot = ((size_t)p[2] << 8) | p[3];
		if (hlen < 20 || tot < hlen || tot > len)
			return false;
		/* a later fragment is all payload of some earlier header */
		if ((((size_t)p[6] & 0x1f) << 8 | p[7]) != 0)
			return tot > hlen;
		return cls_payload_in_l4(p[9], p + hlen, tot - hlen);
	}
	if ((p[0] >> 4) != 6 || len < 40)
		return false;
	tot = 40 + (((size_t)p[4] << 8) | p[5]);
	if (tot > len)
		return false;
	nh = p[6];
	off = 40;
	for (hops = 0; hops < 8; hops++) {
		switch (nh) {
		case 0:		/* hop-by-hop */
		case 43:	/* routing */
		case 60:	/* destination options */
			if (off + 8 > tot)
				return false;
			nh = p[off];
			off += 8 + (size_t)p[off + 1] * 8;
			break;
		case 44:	/* fragment */
			if (off + 8 > tot)
				return false;
			if (((((size_t)p[off + 2] << 8) | p[off + 3]) & ~7u) != 0)
				return tot > off + 8;
			nh = p[off];
			off += 8;
			break;
		default:
			if (off > tot)
				return false;
			return cls_payload_in_l4(nh, p + off, tot - off);
		}
	}
	return false;
}

static bool
cls_payload_in_l4(uint8_t proto, const uint8_t *l4, size_t len)
{
	size_t	 hlen;

	switch (proto) {
	case CLS_IPPROTO_TCP:
		if (len < 20)
			return false;
		hlen = (size_t)(l4[12] >> 4) * 4;
		return hlen >= 20 && len > hlen;
	case CLS_IPPROTO_UDP:
		return len > 8;
	default:
		return len > 0;
	}
}
