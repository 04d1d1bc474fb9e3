/*
 * 802.1X sessions from RADIUS accounting: who is signed in at which
 * address and MAC, as FreeRADIUS writes it to its "detail" files.
 *
 *   radius.c         the session table: a plain value (no pointers into
 *                    file buffers) that can be copied or sent whole,
 *                    with O(1) lookups by IP address and by MAC
 *   radius_detail.c  the detail-file parser and the follower that reads
 *                    each record as it is appended, across rotation and
 *                    truncation
 */
#ifndef SG_RADIUS_H
#define SG_RADIUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg.h"

#define RAD_USER_MAX		SG_NAME_MAX	/* longer names are refused */
#define RAD_SID_MAX		64		/* Acct-Session-Id */
#define RAD_NAS_MAX		SG_ADDRSTR_MAX
/* At most this many sessions; a school has a few thousand.  Beyond it
 * new sessions are counted and skipped, so a flood of accounting cannot
 * take the gateway's memory. */
#define RAD_MAX_SESSIONS	(1u << 18)

struct rad_session {
	char		 user[RAD_USER_MAX];	/* User-Name */
	char		 sid[RAD_SID_MAX];	/* Acct-Session-Id, may be "" */
	char		 nas[RAD_NAS_MAX];	/* NAS-IP-Address, may be "" */
	bool		 has_mac;
	uint8_t		 mac[6];		/* Calling-Station-Id */
	struct sg_addr	 ip4;			/* family 0 if none */
	struct sg_addr	 ip6;
	int64_t		 started;		/* Unix time of the Start */
	int64_t		 updated;		/* of the last record */
};

enum rad_key_kind { RAD_KEY_FREE = 0, RAD_KEY_IP, RAD_KEY_MAC };

/* One key (an address or a MAC) of a session, in the index. */
struct rad_slot {
	uint8_t		 kind;		/* enum rad_key_kind */
	uint8_t		 key[17];	/* family + address, or the MAC */
	uint32_t	 sess;		/* index into sess[] */
};

struct rad_entry {
	struct rad_session s;
	uint32_t	 refs;		/* index slots naming it; 0: free */
	uint32_t	 next_free;	/* as free_head */
};

/*
 * Sessions in one array, and an index of their keys (IPv4, IPv6, MAC)
 * by open addressing with linear probing: cap is a power of two and at
 * most half full, so a lookup touches one or two small slots and then
 * the session.  No pointers between the two, so the table is a plain
 * value: two memcpys copy it, and it can be sent as it is.
 */
struct rad_table {
	struct rad_slot	*slots;
	size_t		 cap;
	size_t		 nkeys;
	struct rad_entry *sess;
	size_t		 nsess;		/* used (live or free) */
	size_t		 sesscap;
	size_t		 nlive;
	uint32_t	 free_head;	/* 1 + the first free entry, 0: none */
	uint64_t	 dropped;	/* sessions refused: table full */
};

enum rad_status {
	RAD_START = 1,
	RAD_INTERIM,
	RAD_STOP,
	RAD_ACCT_ON,		/* the NAS (re)started: its sessions ended */
	RAD_ACCT_OFF,
};

void		 rad_table_free(struct rad_table *);
/* A deep copy (dst is overwritten, not freed); -1 on no memory.  A zeroed
 * table is empty. */
int		 rad_table_copy(struct rad_table *dst, const struct rad_table *);
/* Apply one accounting event; -1 if the table is full. */
int		 rad_apply(struct rad_table *, enum rad_status,
		    const struct rad_session *);
const struct rad_session *rad_find_ip(const struct rad_table *,
		    const struct sg_addr *);
const struct rad_session *rad_find_mac(const struct rad_table *,
		    const uint8_t mac[6]);
/* Sessions in the table. */
size_t		 rad_count(const struct rad_table *);
/* Index slots a successful lookup reads, on average and at most (for the
 * benchmark: it stays near 1 whatever the size). */
void		 rad_probe_len(const struct rad_table *, double *avg,
		    size_t *max);

/*
 * Does login (a User-Name) name this person?  By id or by any of the
 * logins, case-insensitively, with or without the "@realm" on either
 * side ("jsmith@school.sch.uk" matches id "jsmith").
 */
bool		 rad_login_matches(const char *login, const char *id,
		    char *const *logins, size_t nlogins);

/* ---- radius_detail.c ---- */

struct rad_detail_stats {
	uint64_t	 records;	/* accounting records applied */
	uint64_t	 skipped;	/* malformed or unusable records */
};

/*
 * Parse complete detail records from text and apply them to t.  Returns
 * how many bytes were consumed: everything up to the end of the last
 * complete record (one followed by a blank line), so a partly written
 * record is read again once it is finished.  A malformed record is
 * counted in st->skipped and skipped; the table keeps what it had.
 * at_eof: the writer has stopped, take a final unterminated record too.
 */
size_t		 rad_detail_parse(const char *text, size_t len, bool at_eof,
		    struct rad_table *t, struct rad_detail_stats *st);

#define RAD_FILES_MAX		256
/* A file not written for this long holds no session still open (an open
 * session's access point sends an Interim-Update every few minutes, and
 * it counts as a Start): it is not read, so years of daily files cost
 * nothing at start-up. */
#define RAD_STALE_SECS		(2 * 86400)

struct rad_file {
	char		*path;
	uint64_t	 ino;
	uint64_t	 dev;
	int64_t		 off;		/* bytes consumed so far */
	bool		 seen;		/* matched by the last glob */
};

/* Follows every file the globs match; owns its table. */
struct rad_follow {
	char		*const *globs;	/* the config's; not owned */
	size_t		 nglobs;
	struct rad_file	 files[RAD_FILES_MAX];
	size_t		 nfiles;
	struct rad_table table;
	struct rad_detail_stats stats;
	uint64_t	 generation;	/* bumped whenever table changed */
};

void		 rad_follow_init(struct rad_follow *, char *const *globs,
		    size_t nglobs);
/*
 * Read what was appended since the last call.  A file whose inode
 * changed (rotated) or that shrank (truncated) is read again from its
 * start.  Returns 1 if the table changed, 0 if not, -1 if a file could
 * not be read (err says which; the table keeps its last good state).
 */
int		 rad_follow_poll(struct rad_follow *, char *err, size_t errlen);
void		 rad_follow_free(struct rad_follow *);

#endif
