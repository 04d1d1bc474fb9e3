/*
 * Keyed pseudonyms for reviews where names are not needed.  A plain hash
 * of a name could be reversed by hashing the staff list; a keyed one
 * (HMAC-SHA256) cannot without the key, which never leaves the gateway.
 * The same key gives the same pseudonym in every report, so patterns
 * across reports stay visible.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gcrypt.h>

#include "report.h"

static void
pseudo_crypto_init(void)
{
	if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P))
		gcry_check_version(NULL);
}

static int
pseudo_read_all(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if ((n = read(fd, buf + got, len - got)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return -1;	/* short key file */
		got += (size_t)n;
	}
	return 0;
}

/* A new key, created exclusively so two reports cannot race to make one. */
static enum rpt_error
pseudo_key_create(const char *path, uint8_t key[RPT_KEY_LEN])
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600))
	    == -1)
		return RPT_ERR_KEY;
	gcry_randomize(key, RPT_KEY_LEN, GCRY_STRONG_RANDOM);
	if (write(fd, key, RPT_KEY_LEN) != RPT_KEY_LEN || fsync(fd) == -1) {
		close(fd);
		unlink(path);
		return RPT_ERR_KEY;
	}
	close(fd);
	return RPT_OK;
}

enum rpt_error
rpt_key_load(const char *path, uint8_t key[RPT_KEY_LEN])
{
	enum rpt_error err;
	int fd;

	pseudo_crypto_init();
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			return RPT_ERR_KEY;
		if ((err = pseudo_key_create(path, key)) != RPT_ERR_KEY)
			return err;
		/* lost a race with another creator: read theirs */
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			return RPT_ERR_KEY;
	}
	err = pseudo_read_all(fd, key, RPT_KEY_LEN) == 0 ? RPT_OK : RPT_ERR_KEY;
	close(fd);
	return err;
}

int
rpt_pseudonym(const uint8_t *key, size_t keylen, const char *kind,
    const char *value, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t mac[32];
	size_t maclen = sizeof(mac);
	gcry_mac_hd_t h;
	char prefix;

	pseudo_crypto_init();
	if (outlen < 13 || gcry_mac_open(&h, GCRY_MAC_HMAC_SHA256, 0, NULL))
		return -1;
	if (gcry_mac_setkey(h, key, keylen) ||
	    gcry_mac_write(h, kind, strlen(kind)) ||
	    gcry_mac_write(h, ":", 1) ||
	    gcry_mac_write(h, value, strlen(value)) ||
	    gcry_mac_read(h, mac, &maclen)) {
		gcry_mac_close(h);
		return -1;
	}
	gcry_mac_close(h);
	prefix = (char)(kind[0] >= 'a' && kind[0] <= 'z' ? kind[0] - 32 : 'X');
	out[0] = prefix;
	out[1] = '-';
	for (size_t i = 0; i < 5; i++) {
		out[2 + 2 * i] = hex[mac[i] >> 4];
		out[3 + 2 * i] = hex[mac[i] & 15];
	}
	out[12] = '\0';
	return 0;
}
