# "make deb": schoolgate_VERSION_ARCH.deb in the top folder, built by
# dpkg-buildpackage (debian/: dh, dpkg-buildflags' hardening), then
# checked by lintian, which must report no errors.  The version is
# debian/changelog's.  dpkg-buildpackage writes to the parent folder; the
# files are moved here (build/deb-out/, the .deb itself to the top).

DEB_VERSION	 = $(shell dpkg-parsechangelog -S Version)
DEB_ARCH	 = $(shell dpkg --print-architecture)
DEB_NAME	 = schoolgate_$(DEB_VERSION)_$(DEB_ARCH)
DEB_OUT		 = build/deb-out

.PHONY: deb

deb: DEPS_ROLES = --build --deb
deb: deps
	rm -f ../$(DEB_NAME).deb ../$(DEB_NAME).buildinfo \
	    ../$(DEB_NAME).changes ../schoolgate-dbgsym_$(DEB_VERSION)_$(DEB_ARCH).deb
	dpkg-buildpackage -b -us -uc
	mkdir -p $(DEB_OUT)
	mv ../$(DEB_NAME).buildinfo ../$(DEB_NAME).changes $(DEB_OUT)/
	mv -f ../schoolgate-dbgsym_$(DEB_VERSION)_$(DEB_ARCH).deb $(DEB_OUT)/ \
	    2>/dev/null || true
	mv ../$(DEB_NAME).deb .
	lintian --fail-on error $(DEB_NAME).deb
	@echo "deb: $(DEB_NAME).deb"

# "make check-vm": the .deb on Debian 12's own kernel under qemu, systemd
# as PID 1 (tests/vm/check-vm; the root image is cached under
# /var/cache/schoolgate-vm, so reruns only boot).
.PHONY: check-vm

check-vm: deb
	bash scripts/install-deps --vm
	bash tests/vm/check-vm $(DEB_NAME).deb
