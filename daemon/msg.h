/*
 * Messages between schoolgate's processes (docs/PRIVSEP.md), after
 * OpenBSD's imsg: a header {type, flags, len} and a payload whose length
 * and content are checked for its type before anyone reads it.
 *
 * The transport is a SOCK_SEQPACKET socketpair: one message is one
 * datagram, so the kernel keeps the boundaries and a peer cannot make the
 * reader resynchronise inside a byte stream (a lying length on a stream
 * would shift every later message; here it only spoils its own datagram,
 * which is rejected).  SEQPACKET is also connection-oriented, so the
 * death of a peer shows as end of file, which the monitor needs to notice
 * a crashed inspector at once.
 *
 * Both ends are the same binary on the same host: fields are in host
 * order, and every struct below has explicit padding and a fixed size.
 * A peer is never trusted: msg_parse() checks the header against the
 * datagram's real size, the type, the flags, the length rule of the type,
 * every enum's range, and that every string is NUL-terminated inside its
 * field (and valid UTF-8 where it ends up in the records).
 */
#ifndef SG_MSG_H
#define SG_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg.h"

#define MSG_MAX		(128 * 1024)	/* one datagram, header included */

struct msg_hdr {
	uint16_t	 type;		/* enum msg_type */
	uint16_t	 flags;		/* MSG_F_* */
	uint32_t	 len;		/* payload bytes after the header */
};

#define MSG_PAYLOAD_MAX	(MSG_MAX - sizeof(struct msg_hdr))

/* More parts of the same blob follow (MSG_CONFIG, MSG_LEASES). */
#define MSG_F_MORE	0x0001u
#define MSG_F_ALL	MSG_F_MORE

enum msg_type {
	MSG_NONE = 0,
	/* monitor -> inspector */
	MSG_CONFIG,		/* conf_pack() blob, in parts */
	MSG_LEASES,		/* struct msg_lease[], in parts: a full set */
	MSG_QUEUE_FD,		/* struct msg_queue + its NFQUEUE socket */
	MSG_PACKETS,		/* classify's frames (msg_pkt_add/_next) */
	/* inspector -> monitor */
	MSG_VERDICTS,		/* struct msg_verdict[] */
	MSG_STATS,		/* struct msg_stats */
	MSG_LOG,		/* struct msg_log */
	/* inspector -> monitor -> record writer */
	MSG_FLOW,		/* struct msg_flow: a decided flow */
	/* monitor -> record writer */
	MSG_EVENT,		/* struct msg_event */
	/* monitor -> inspector */
	MSG_RADIUS,		/* struct msg_rad[], in parts: a full set */
	/* inspector -> monitor */
	MSG_DECIDED,		/* struct msg_decided: a flow handed off */
	MSG_REWRITE,		/* struct msg_rewrite: a packet replaced */
	MSG_ENG_STATS,		/* struct eng_stats: plain counters */
	/* inspector -> monitor -> the other inspectors */
	MSG_DNS,		/* struct msg_dns: an answer learnt */
	/* monitor -> record writer */
	MSG_SYSLOG_FD,		/* no payload; a socket to syslog (SCM_RIGHTS) */
	MSG_GAPCHECK,		/* struct msg_gapcheck: did the last run end? */
	MSG_SEAL,		/* struct msg_seal: load the sealing state */
	MSG_ANCHOR_FD,		/* no payload; a socket to syslog for seals */
	/* record writer -> monitor (and MSG_LOG) */
	MSG_WSTATS,		/* struct msg_wstats: counters for status */
	/* classify -> its inspector, and back as "file done" */
	MSG_OFFLINE,		/* struct msg_offline */
	/* inspector -> classify */
	MSG_ENDED,		/* struct msg_ended: a flow of a file ended */
	MSG_NTYPES
};

struct msg_lease {
	uint8_t		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 ip[16];
	uint8_t		 mac[6];
	uint8_t		 pad;
	int64_t		 expires;	/* Unix time, 0 for infinite */
	char		 hostname[SG_NAME_MAX];
};

/* The queue's socket comes with it (SCM_RIGHTS); the inspector reads
 * it and the monitor answers (docs/PRIVSEP.md). */
#define MSG_IFNAMES_MAX	64
struct msg_ifname {
	uint32_t	 index;
	char		 name[16];	/* IF_NAMESIZE */
};
struct msg_queue {
	uint32_t	 queue;		/* NFQUEUE number */
	uint32_t	 portid;	/* the socket's netlink port */
	uint32_t	 nifs;		/* 0 .. MSG_IFNAMES_MAX */
	uint32_t	 pad;
	struct msg_ifname ifs[MSG_IFNAMES_MAX];	/* nifs used */
};

/* One packet of a batch; len bytes of L3 packet follow, then padding
 * to a multiple of 8. */
struct msg_pkt {
	uint32_t	 id;		/* NFQUEUE packet id */
	uint32_t	 mark;
	uint64_t	 ts_us;
	uint16_t	 len;
	uint8_t		 has_mac;	/* 0 or 1 */
	uint8_t		 mac[6];
	uint8_t		 pad[7];
	char		 iface[16];	/* IF_NAMESIZE */
};
#define MSG_PKT_BATCH_MAX	64

enum msg_verdict_kind {
	MSG_V_ACCEPT = 0,	/* this packet only, flow still queued */
	MSG_V_DROP,		/* this packet only */
	MSG_V_REPEAT_MARK,	/* re-run the chain with the mark set */
	MSG_V_NKINDS
};

struct msg_verdict {
	uint32_t	 id;
	uint32_t	 mark;		/* the monitor keeps only its own bits */
	uint8_t		 verdict;	/* enum msg_verdict_kind */
	uint8_t		 pad[3];
	uint32_t	 pktmark;	/* the packet's, whose other bits stay */
};
#define MSG_VERDICT_BATCH_MAX	1024

struct msg_stats {
	uint64_t	 packets;
	uint64_t	 bytes;
	uint64_t	 flows;
	uint64_t	 verdicts[3];	/* by enum sg_action */
	uint64_t	 skipped[16];	/* malformed packets, by decode result */
	uint64_t	 dns_answers;
	uint64_t	 quic_fallback;
	uint64_t	 nomem;
	uint64_t	 msgs_rejected;	/* from the monitor */
};

#define MSG_LOG_TEXT_MAX	1024
struct msg_log {
	int32_t		 priority;	/* LOG_EMERG..LOG_DEBUG */
	uint32_t	 pad;
	char		 text[MSG_LOG_TEXT_MAX];
};

/* As struct rec_flow (records/records.h), with enums for its words. */
struct msg_flow {
	int64_t		 start_us;
	int64_t		 end_us;
	uint64_t	 bytes_out;
	uint64_t	 bytes_in;
	uint64_t	 pkts_out;
	uint64_t	 pkts_in;
	uint16_t	 dst_port;
	uint8_t		 action;	/* enum sg_action */
	uint8_t		 host_src;	/* enum sg_host_src */
	uint8_t		 in_school_hours;	/* 0 or 1 */
	uint8_t		 pad[3];
	char		 device[SG_NAME_MAX];
	char		 mac[18];
	char		 ip[SG_ADDRSTR_MAX];
	char		 person[SG_NAME_MAX];
	char		 group[SG_NAME_MAX];
	char		 app[SG_APP_MAX];
	char		 category[SG_NAME_MAX];
	char		 host[SG_HOST_MAX];
	char		 dst_ip[SG_ADDRSTR_MAX];
	char		 transport[8];
	char		 rule[SG_NAME_MAX];
	char		 clause[16];
	char		 source[256];
	char		 id_source[16];
	char		 pad2[6];
};

struct msg_event {
	int64_t		 ts_us;
	char		 kind[16];	/* "start", "gap", "crash"...: [a-z-] */
	char		 detail[512];
};

/* An 802.1X session (policy/radius.h's struct rad_session). */
struct msg_rad {
	char		 user[64];	/* RAD_USER_MAX */
	char		 sid[64];	/* RAD_SID_MAX */
	char		 nas[48];	/* RAD_NAS_MAX */
	uint8_t		 has_mac;	/* 0 or 1 */
	uint8_t		 mac[6];
	uint8_t		 ip4_family;	/* 0 or AF_INET */
	uint8_t		 ip4[16];
	uint8_t		 ip6_family;	/* 0 or AF_INET6 */
	uint8_t		 ip6[16];
	uint8_t		 pad[7];
	int64_t		 started;
	int64_t		 updated;
};

/* An address: family 0 (unset), AF_INET or AF_INET6. */
struct msg_addr {
	uint8_t		 family;
	uint8_t		 a[16];
	uint8_t		 pad[3];
};

/*
 * A flow the inspector decided: its record so far, its key (for the
 * conntrack totals) and what policy_redecide needs (policy_kept).
 * direct: blocked on its first packet, so conntrack never knew it and
 * the record is written at once.
 */
struct msg_decided {
	struct msg_flow	 flow;
	struct msg_addr	 src;
	struct msg_addr	 dst;
	struct msg_addr	 kept_ip;
	uint16_t	 sport;
	uint16_t	 dport;
	uint8_t		 proto;
	uint8_t		 direct;	/* 0 or 1 */
	uint8_t		 id_source;	/* enum ident_source */
	uint8_t		 kept_has_mac;	/* 0 or 1 */
	uint8_t		 kept_mac[6];
	uint8_t		 kept_fixed;	/* 0 or 1 */
	uint8_t		 pad;
	char		 iface[16];
	char		 master[32];	/* SG_APP_MAX / 2 */
	char		 proto_name[32];
	char		 kept_host[SG_HOST_MAX];
	char		 user[64];	/* RAD_USER_MAX */
	char		 addr_list[SG_NAME_MAX];	/* placed by this address list */
	uint8_t		 pad2[4];
};

/* A packet the inspector answers with other bytes (a blocked lookup's
 * answer as NXDOMAIN); its id still follows the order of the batch. */
#define MSG_REWRITE_MAX	2048		/* ENG_PKT_MAX */
struct msg_rewrite {
	uint32_t	 id;
	uint32_t	 len;		/* 1..MSG_REWRITE_MAX */
	uint8_t		 data[MSG_REWRITE_MAX];
};

struct msg_dns_answer {
	struct msg_addr	 addr;		/* AF_INET or AF_INET6 */
	uint32_t	 ttl;
};

/* A DNS answer one inspector saw, for the others' caches: a lookup and
 * the flow that follows may be on two queues. */
struct msg_dns {
	int64_t		 now;
	struct msg_addr	 client;
	uint32_t	 nanswers;	/* 1..32 (DNS_MAX_ANSWERS) */
	char		 qname[SG_HOST_MAX];
	struct msg_dns_answer answers[32];
};

/* The record writer checks the records' last event against this run. */
struct msg_gapcheck {
	uint8_t		 fail_open;	/* 0 or 1: words the gap event */
	uint8_t		 pad[7];
};

/* The record writer loads the sealing state itself (records/seal.c):
 * the key never enters the monitor. */
#define MSG_SEAL_PATH_MAX	512
struct msg_seal {
	uint32_t	 interval_s;	/* 1 .. MSG_SEAL_INTERVAL_MAX */
	uint8_t		 pad[4];
	char		 state[MSG_SEAL_PATH_MAX];	/* records.seal_state */
};
#define MSG_SEAL_INTERVAL_MAX	(7 * 86400)

/* The record writer's counters, sent when they change (struct rw_stats). */
struct msg_wstats {
	uint64_t	 received;	/* messages taken off the socket */
	uint64_t	 written;
	uint64_t	 dropped_queue;	/* its memory ring was full */
	uint64_t	 dropped_store;
	uint64_t	 backlog;	/* in its ring and the store's buffer */
	uint64_t	 syslog_failed;
	uint32_t	 last_error;	/* enum rec_error */
	uint8_t		 failing;	/* 0 or 1 */
	uint8_t		 ready;		/* 0 or 1: the store was opened */
	uint8_t		 pad[2];
};

/*
 * schoolgate classify's inspector (started as "inspector offline"): a
 * capture file is MSG_OFFLINE start (the engine options classify used in
 * process), its frames as MSG_PACKETS (id unused, ts_us the capture
 * time, the link-layer frame as data), then MSG_OFFLINE end.  The
 * inspector answers the end with MSG_ENG_STATS, one MSG_ENDED per flow
 * still open and MSG_OFFLINE done, carrying the undecodable count.
 */
enum msg_offline_op {
	MSG_OFF_START = 0,
	MSG_OFF_END,
	MSG_OFF_DONE,
	MSG_OFF_NOPS
};

struct msg_offline {
	int64_t		 pin_time;	/* --at, 0 for the capture times */
	uint64_t	 undecodable;	/* MSG_OFF_DONE: frames skipped */
	int32_t		 as_group;	/* -1, or a group index */
	int32_t		 as_device;	/* -1, or a device index */
	int32_t		 linktype;	/* the file's DLT_ */
	uint8_t		 op;		/* enum msg_offline_op */
	uint8_t		 stats;		/* 1: MSG_ENG_STATS as flows expire */
	uint8_t		 pad[2];
};

/* A flow classify prints and records: as MSG_DECIDED, when it ended. */
struct msg_ended {
	struct msg_decided dec;
	uint64_t	 decided_after;	/* packets seen when decided */
};

/* A received, checked message.  data is aligned for the structs above.
 * About 128 KiB: allocate it once, never on a thread's stack. */
struct msg {
	struct msg_hdr	 hdr;
	int		 fd;		/* passed descriptor, -1 if none */
	_Alignas(8) uint8_t data[MSG_PAYLOAD_MAX];
};

enum msg_error {
	MSG_OK = 0,
	MSG_E_SHORT,		/* shorter than a header */
	MSG_E_TRUNC,		/* longer than MSG_MAX, or control data cut */
	MSG_E_LEN,		/* header len differs from the datagram, or
				 * the wrong length for the type */
	MSG_E_TYPE,		/* unknown type */
	MSG_E_FLAGS,		/* unknown flag, or MORE on a single part */
	MSG_E_FD,		/* a descriptor missing, extra or unexpected */
	MSG_E_STRING,		/* a string not NUL-terminated in its field */
	MSG_E_UTF8,		/* a record string that is not UTF-8 */
	MSG_E_RANGE,		/* an enum or count out of range */
};

const char	*msg_strerror(enum msg_error);
const char	*msg_type_name(unsigned type);

/* SOCK_SEQPACKET, close-on-exec.  0, or -1 with errno. */
int		 msg_socketpair(int sv[2]);

/*
 * Send one message; fd >= 0 is passed with SCM_RIGHTS (and stays open
 * here).  0, or -1 with errno (EMSGSIZE if len > MSG_PAYLOAD_MAX).
 */
int		 msg_send(int sock, uint16_t type, uint16_t flags,
		    const void *payload, size_t len, int fd);
/* Messages gathered to be sent in one system call (daemon/msgout.c):
 * add may send those before it when full; flush sends them all. */
struct msg_out;
struct msg_out	*msg_out_new(int sock);
void		 msg_out_free(struct msg_out *);
int		 msg_out_add(struct msg_out *, uint16_t type, const void *payload,
		    size_t len);
int		 msg_out_flush(struct msg_out *);
/* A blob of any size as parts of at most MSG_PAYLOAD_MAX bytes, each a
 * whole number of elem-byte elements (1 for a config). */
int		 msg_send_blob(int sock, uint16_t type, const void *blob,
		    size_t len, size_t elem);

/*
 * Receive one datagram into *m and check it.  1: a valid message; 0: the
 * peer closed (or sent an empty datagram, which SEQPACKET cannot tell
 * apart: either way the caller ends that peer); -1: errno set (EAGAIN...),
 * or errno EBADMSG with *why
 * saying what was wrong (the datagram is consumed and any descriptor it
 * carried is closed).
 */
int		 msg_recv(int sock, struct msg *m, enum msg_error *why);

/* The checks msg_recv applies, on a datagram already in memory (the fuzz
 * target's entry).  fd: the descriptor that came with it, or -1. */
enum msg_error	 msg_parse(struct msg *m, const void *buf, size_t len, int fd);

/* Elements of an array payload (MSG_LEASES, MSG_VERDICTS). */
size_t		 msg_count(const struct msg *, size_t elem);

/* Packet batches: buf holds MSG_PAYLOAD_MAX bytes, *len starts at 0.
 * -1 when the packet would not fit (send the batch and start another). */
int		 msg_pkt_add(uint8_t *buf, size_t *len, const struct msg_pkt *,
		    const uint8_t *data);
/* The next packet of a checked MSG_PACKETS message, from *off (0 first).
 * false at the end. */
bool		 msg_pkt_next(const struct msg *, size_t *off,
		    const struct msg_pkt **, const uint8_t **data);

/* Reassembly of MSG_CONFIG or MSG_LEASES parts, up to max bytes. */
struct msg_blob {
	uint16_t	 type;		/* of the first part; 0 when idle */
	uint8_t		*buf;
	size_t		 len;
	size_t		 cap;
	size_t		 max;		/* set by the caller */
	bool		 done;
};
/* 1: complete (buf/len hold it until the next add or msg_blob_reset),
 * 0: more to come,
 * -1: errno ENOMEM, EMSGSIZE (over max) or EPROTO (a part of another
 * type in between).  The blob is reset after an error. */
int		 msg_blob_add(struct msg_blob *, const struct msg *);
void		 msg_blob_reset(struct msg_blob *);

/* Valid UTF-8 up to the NUL or len bytes. */
bool		 msg_utf8_valid(const char *, size_t);
/* For senders of wire names: src into a dstlen-byte field as valid UTF-8,
 * each stray byte written as the text \xNN, cut at a character. */
void		 msg_copy_utf8(char *dst, size_t dstlen, const char *src);

#endif
