# shellcheck shell=bash
# Sourced by tests/t_mail.sh: a private exim4 (Debian's default MTA) that
# delivers head@, dsl@ and lead@ (any domain) each into a Maildir of
# its own under $tmp, everyone else into "other", with its own spool,
# log and config, so the machine's own mail setup is never touched.
# exim accepts -C FILE from root (the test runs as root, like the netns
# tests); delivery runs as Debian-exim, so $tmp must be traversable.

# mta_setup DIR: writes DIR/exim.conf and DIR/sendmail (a wrapper that
# runs the real exim4 with that config, delivering at once).
mta_setup() {
	local d="$1"
	mkdir -p "$d/spool" "$d/log" "$d/mail"
	chown Debian-exim: "$d/mail"
	chmod 711 "$d" "$(dirname "$d")"
	cat >"$d/exim.conf" <<CONF
keep_environment =
primary_hostname = gateway.school.test
qualify_domain = school.test
spool_directory = $d/spool
log_file_path = $d/log/%slog
exim_user = root
exim_group = root
trusted_users = root
domainlist local_domains = *
begin routers
known:
  driver = accept
  local_parts = head : dsl : lead
  transport = maildir
others:
  driver = accept
  transport = maildir
begin transports
maildir:
  driver = appendfile
  directory = $d/mail/\${if def:local_part_data{\$local_part_data}{other}}
  maildir_format
  create_directory
  user = Debian-exim
  group = Debian-exim
  mode = 0600
CONF
	printf '#!/bin/sh\nexec /usr/sbin/exim4 -C %q -odi "$@"\n' \
	    "$d/exim.conf" >"$d/sendmail"
	chmod 755 "$d/sendmail"
}

# mta_count DIR [LOCAL_PART]: messages delivered so far (to LOCAL_PART)
mta_count() {
	find "$1/mail/${2:-}" -path '*/new/*' -type f 2>/dev/null | wc -l
}

# mta_newest DIR LOCAL_PART: the file of the last message delivered
mta_newest() {
	ls -t "$1/mail/$2/new/"* | head -n 1
}
