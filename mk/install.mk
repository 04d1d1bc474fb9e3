# "make install": included by the Makefile.  PREFIX and DESTDIR as usual;
# the system user and the ownership of the state directory are set only
# for a real install (empty DESTDIR), a staged one just lays out the files.
# "install-files" lays out the files alone (debian/rules uses it; the
# package's postinst makes the user and the state folders).

PREFIX		?= /usr/local
DESTDIR		?=
SBINDIR		 = $(PREFIX)/sbin
LIBEXECDIR	 = $(PREFIX)/lib/schoolgate
UNITDIR		 = /lib/systemd/system
SG_USER		 = schoolgate
UNITS		 = schoolgate.service schoolgate-purge.service \
		   schoolgate-purge.timer schoolgate-report-weekly.service \
		   schoolgate-report-weekly.timer \
		   schoolgate-report-termly.service \
		   schoolgate-report-termly.timer schoolgate-alerts.service

.PHONY: install install-files install-user

install-files: $(BUILD)/schoolgate
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR) \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)/etc/schoolgate \
	    $(DESTDIR)/etc/default
	install -m 0755 $(BUILD)/schoolgate $(DESTDIR)$(SBINDIR)/schoolgate
	install -m 0755 scripts/gateway-rules scripts/schoolgate-rules \
	    $(DESTDIR)$(LIBEXECDIR)/
	for u in $(UNITS); do \
		sed -e 's|@SBINDIR@|$(SBINDIR)|g' \
		    -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' \
		    "scripts/systemd/$$u" >"$(DESTDIR)$(UNITDIR)/$$u.tmp" && \
		chmod 0644 "$(DESTDIR)$(UNITDIR)/$$u.tmp" && \
		mv "$(DESTDIR)$(UNITDIR)/$$u.tmp" "$(DESTDIR)$(UNITDIR)/$$u" || \
		exit 1; \
	done
	test -e $(DESTDIR)/etc/default/schoolgate || \
	    install -m 0644 scripts/systemd/schoolgate.default \
	    $(DESTDIR)/etc/default/schoolgate
	test -e $(DESTDIR)/etc/schoolgate/schoolgate.conf || \
	    install -m 0640 conf/schoolgate.conf \
	    $(DESTDIR)/etc/schoolgate/schoolgate.conf
	install -d $(DESTDIR)/etc/schoolgate/lists
	for l in conf/lists/*; do \
		test -e "$(DESTDIR)/etc/schoolgate/lists/$${l##*/}" || \
		    install -m 0644 "$$l" $(DESTDIR)/etc/schoolgate/lists/ || \
		    exit 1; \
	done

install: all install-user install-files
	install -d -m 0750 $(DESTDIR)/var/lib/schoolgate \
	    $(DESTDIR)/var/lib/schoolgate/reports
	if [ -z "$(DESTDIR)" ]; then \
		chgrp $(SG_USER) /etc/schoolgate/schoolgate.conf && \
		chown $(SG_USER):$(SG_USER) /var/lib/schoolgate \
		    /var/lib/schoolgate/reports || exit 1; \
		if command -v systemctl >/dev/null 2>&1 && \
		    [ -d /run/systemd/system ]; then \
			systemctl daemon-reload; \
		fi; \
	fi

# The system user, before anything is chowned to it.
install-user:
	if [ -z "$(DESTDIR)" ] && ! getent passwd $(SG_USER) >/dev/null; then \
		adduser --system --group --no-create-home \
		    --home /var/lib/schoolgate $(SG_USER); \
	fi
