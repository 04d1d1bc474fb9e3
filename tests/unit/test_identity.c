/*
 * The precedence of ident_resolve (policy/identity.c), against a small
 * configuration built by hand and a dnsmasq leases mapping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "identity.h"
#include "testutil.h"

enum { G_STAFF, G_STUDENTS, G_GUESTS, G_UNKNOWN, NGROUPS };
enum { P_ALICE, P_BOB, NPEOPLE };
enum { D_ALICE, D_PRINTER, D_BOBPHONE, D_KIOSK, D_HEAD, D_ORPHAN, NDEVICES };

struct world {
	struct sg_config	 cfg;
	struct conf_group	 groups[NGROUPS];
	struct conf_person	 people[NPEOPLE];
	struct conf_device	 devices[NDEVICES];
	struct conf_cidr	 staff_nets[1];
	struct conf_cidr	 student_nets[2];
	char			*staff_ifs[1];
	char			*guest_ifs[1];
	int			 guest_devs[1];
	struct leases		 leases;
	struct rad_table	 radius;
};

static void
cidr(struct conf_cidr *c, const char *addr, uint8_t prefix)
{
	c->addr = tu_ip(addr);
	c->prefix = prefix;
}

static void
device(struct conf_device *d, const char *name, const char *hw,
    const char *addr, int owner, int group)
{
	memset(d, 0, sizeof(*d));
	d->name = (char *)name;
	if (hw != NULL) {
		d->has_mac = true;
		tu_mac(hw, d->mac);
	}
	if (addr != NULL) {
		d->has_ip = true;
		d->ip = tu_ip(addr);
	}
	d->owner = owner;
	d->group = group;
}

static int
world_setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	char err[128];

	if (w == NULL)
		return -1;
	cidr(&w->staff_nets[0], "10.1.0.0", 16);
	cidr(&w->student_nets[0], "10.2.0.0", 16);
	cidr(&w->student_nets[1], "10.1.5.0", 24);
	w->staff_ifs[0] = "eth1";
	w->guest_ifs[0] = "wlan-guest";
	w->guest_devs[0] = D_KIOSK;
	w->groups[G_STAFF] = (struct conf_group){ .name = "staff",
	    .subnets = w->staff_nets, .nsubnets = 1,
	    .interfaces = w->staff_ifs, .ninterfaces = 1 };
	w->groups[G_STUDENTS] = (struct conf_group){ .name = "students",
	    .subnets = w->student_nets, .nsubnets = 2 };
	w->groups[G_GUESTS] = (struct conf_group){ .name = "guests",
	    .interfaces = w->guest_ifs, .ninterfaces = 1,
	    .devices = w->guest_devs, .ndevices = 1 };
	w->groups[G_UNKNOWN] = (struct conf_group){ .name = "unknown" };
	w->people[P_ALICE] = (struct conf_person){ .id = "alice",
	    .group = G_STAFF };
	w->people[P_BOB] = (struct conf_person){ .id = "bob",
	    .group = G_STUDENTS };
	device(&w->devices[D_ALICE], "alice-laptop", "02:00:00:00:00:01", NULL,
	    P_ALICE, -1);
	device(&w->devices[D_PRINTER], "printer", NULL, "10.1.0.50", -1,
	    G_GUESTS);
	device(&w->devices[D_BOBPHONE], "bob-phone", "02:00:00:00:00:02",
	    "10.2.0.20", P_BOB, G_STAFF);
	device(&w->devices[D_KIOSK], "kiosk", "02:00:00:00:00:03", NULL, -1,
	    -1);
	device(&w->devices[D_HEAD], "head-laptop", "02:00:00:00:00:04",
	    "10.1.0.4", P_ALICE, -1);
	device(&w->devices[D_ORPHAN], "orphan", "02:00:00:00:00:05", NULL, -1,
	    -1);
	w->cfg.groups = w->groups;
	w->cfg.ngroups = NGROUPS;
	w->cfg.people = w->people;
	w->cfg.npeople = NPEOPLE;
	w->cfg.devices = w->devices;
	w->cfg.ndevices = NDEVICES;
	w->cfg.default_group = G_UNKNOWN;
	static const char leases[] = "0 02:00:00:00:00:01 10.9.9.9 alice *\n"
	    "0 02:00:00:00:00:99 10.9.9.10 stranger *\n";
	if (leases_parse(leases, sizeof(leases) - 1, LEASES_DNSMASQ, "w",
	    &w->leases, err, sizeof(err)) != 0 || w->leases.n != 2) {
		free(w);
		return -1;
	}
	*state = w;
	return 0;
}

static int
world_teardown(void **state)
{
	struct world *w = *state;

	leases_free(&w->leases);
	rad_table_free(&w->radius);
	free(w);
	return 0;
}

static struct ident
resolve(struct world *w, const char *hw, const char *addr, const char *iface,
    int as_group)
{
	struct ident id;
	struct sg_addr a;
	uint8_t m[6];

	if (hw != NULL)
		tu_mac(hw, m);
	if (addr != NULL)
		a = tu_ip(addr);
	memset(&id, 0xa5, sizeof(id));
	ident_resolve(&w->cfg, &(struct ident_data){ &w->leases, &w->radius },
	    hw != NULL ? m : NULL,
	    addr != NULL ? &a : NULL, iface, as_group, &id);
	return id;
}

static void
expect(const struct ident *id, int device, int person, int group,
    const char *how)
{
	assert_int_equal(id->device, device);
	assert_int_equal(id->person, person);
	assert_int_equal(id->group, group);
	assert_non_null(id->how);
	assert_string_equal(id->how, how);
}

static void
test_resolve_device_mac_owner_group(void **state)
{
	struct ident id = resolve(*state, "02:00:00:00:00:01", "10.2.3.4",
	    "eth1", -1);

	/* The owner's group beats the interface and the subnet. */
	expect(&id, D_ALICE, P_ALICE, G_STAFF, "device MAC");
	assert_true(id.has_mac);
	assert_int_equal(id.mac[5], 1);
	assert_int_equal(id.ip.family, AF_INET);
}

static void
test_resolve_device_own_group(void **state)
{
	struct ident id = resolve(*state, "02:00:00:00:00:02", NULL, NULL, -1);

	/* bob is a student, but his phone is configured into staff. */
	expect(&id, D_BOBPHONE, P_BOB, G_STAFF, "device MAC");
}

static void
test_resolve_group_listing_device(void **state)
{
	struct ident id = resolve(*state, "02:00:00:00:00:03", "10.1.0.9",
	    "eth1", -1);

	expect(&id, D_KIOSK, -1, G_GUESTS, "device MAC");
}

static void
test_resolve_device_ip(void **state)
{
	struct ident id = resolve(*state, NULL, "10.1.0.50", "eth1", -1);

	expect(&id, D_PRINTER, -1, G_GUESTS, "device IP");
	assert_false(id.has_mac);
	id = resolve(*state, NULL, "10.1.0.4", NULL, -1);
	expect(&id, D_HEAD, P_ALICE, G_STAFF, "device IP");
}

static void
test_resolve_ip_with_other_mac(void **state)
{
	/* Someone else's machine on the head's static IP is not the head. */
	struct ident id = resolve(*state, "02:00:00:00:00:77", "10.1.0.4",
	    NULL, -1);

	expect(&id, -1, -1, G_STAFF, "subnet");
	/* A device with no MAC configured still matches by IP. */
	id = resolve(*state, "02:00:00:00:00:77", "10.1.0.50", NULL, -1);
	expect(&id, D_PRINTER, -1, G_GUESTS, "device IP");
}

static void
test_resolve_lease_mac(void **state)
{
	struct ident id = resolve(*state, NULL, "10.9.9.9", NULL, -1);
	uint8_t m[6];

	expect(&id, D_ALICE, P_ALICE, G_STAFF, "lease MAC");
	assert_true(id.has_mac);
	tu_mac("02:00:00:00:00:01", m);
	assert_memory_equal(id.mac, m, 6);

	/* A lease for an unknown MAC gives the MAC but no device. */
	id = resolve(*state, NULL, "10.9.9.10", NULL, -1);
	expect(&id, -1, -1, G_UNKNOWN, "default group");
	assert_true(id.has_mac);
	assert_int_equal(id.mac[5], 0x99);
}

static void
test_resolve_given_mac_beats_lease(void **state)
{
	/* The lease says alice's laptop, but the frame came from the kiosk. */
	struct ident id = resolve(*state, "02:00:00:00:00:03", "10.9.9.9",
	    NULL, -1);

	expect(&id, D_KIOSK, -1, G_GUESTS, "device MAC");
}

static void
test_resolve_router_mac_uses_lease(void **state)
{
	/* Behind a router the frame carries the router's MAC, which no
	 * device has: the lease for the address names alice's laptop. */
	struct ident id = resolve(*state, "02:00:00:00:00:fe", "10.9.9.9",
	    NULL, -1);
	uint8_t m[6];

	expect(&id, D_ALICE, P_ALICE, G_STAFF, "lease MAC");
	tu_mac("02:00:00:00:00:01", m);
	assert_memory_equal(id.mac, m, 6);
}

static void
test_resolve_interface(void **state)
{
	/* A device with no group of its own falls through to the interface. */
	struct ident id = resolve(*state, "02:00:00:00:00:05", "10.2.0.9",
	    "wlan-guest", -1);

	expect(&id, D_ORPHAN, -1, G_GUESTS, "interface");
	/* The interface beats the subnet. */
	id = resolve(*state, "02:00:00:00:00:66", "10.2.0.99", "eth1", -1);
	expect(&id, -1, -1, G_STAFF, "interface");
}

static void
test_resolve_subnet_longest_prefix(void **state)
{
	struct ident id = resolve(*state, NULL, "10.1.5.9", "eth9", -1);

	expect(&id, -1, -1, G_STUDENTS, "subnet");
	id = resolve(*state, NULL, "10.1.7.7", "eth9", -1);
	expect(&id, -1, -1, G_STAFF, "subnet");
	id = resolve(*state, NULL, "10.2.200.1", NULL, -1);
	expect(&id, -1, -1, G_STUDENTS, "subnet");
}

static void
test_resolve_default(void **state)
{
	struct ident id = resolve(*state, NULL, "192.168.1.1", "eth9", -1);

	expect(&id, -1, -1, G_UNKNOWN, "default group");
	id = resolve(*state, NULL, "2001:db8::1", NULL, -1);
	expect(&id, -1, -1, G_UNKNOWN, "default group");
	id = resolve(*state, NULL, NULL, NULL, -1);
	expect(&id, -1, -1, G_UNKNOWN, "default group");
	assert_false(id.has_mac);
}

static void
test_resolve_as_group(void **state)
{
	struct ident id = resolve(*state, "02:00:00:00:00:01", "10.1.0.9",
	    "eth1", G_STUDENTS);

	/* The device and person stay; only the group is overridden. */
	expect(&id, D_ALICE, P_ALICE, G_STUDENTS, "--as-group");
	/* An out-of-range override is ignored, not trusted. */
	id = resolve(*state, "02:00:00:00:00:01", NULL, NULL, NGROUPS);
	expect(&id, D_ALICE, P_ALICE, G_STAFF, "device MAC");
}

static void
sign_in(struct world *w, const char *user, const char *hw, const char *addr)
{
	struct rad_session s;

	memset(&s, 0, sizeof(s));
	snprintf(s.user, sizeof(s.user), "%s", user);
	if (hw != NULL) {
		s.has_mac = true;
		tu_mac(hw, s.mac);
	}
	if (addr != NULL)
		s.ip4 = tu_ip(addr);
	assert_int_equal(rad_apply(&w->radius, RAD_START, &s), 0);
}

/* 802.1X beats the registered device, its owner and the subnet. */
static void
test_resolve_8021x_first(void **state)
{
	struct world *w = *state;
	char *bob_logins[] = { "Bob.Smith@school.example" };
	struct ident id;

	w->people[P_BOB].logins = bob_logins;
	w->people[P_BOB].nlogins = 1;
	sign_in(w, "BOB.SMITH@school.example", "06:11:22:33:44:55",
	    "10.1.0.77");
	id = resolve(w, "06:11:22:33:44:55", "10.1.0.77", "eth1", -1);
	expect(&id, -1, P_BOB, G_STUDENTS, "802.1X session");
	assert_int_equal(id.source, IDSRC_8021X);
	assert_string_equal(id.user, "BOB.SMITH@school.example");
	/* Bob signed in on Alice's laptop: the person is Bob, the device
	 * stays the laptop. */
	sign_in(w, "bob", "02:00:00:00:00:01", "10.1.0.78");
	id = resolve(w, "02:00:00:00:00:01", "10.1.0.78", NULL, -1);
	expect(&id, D_ALICE, P_BOB, G_STUDENTS, "802.1X session");
	/* without a session the same laptop is Alice's, by registration */
	id = resolve(w, "02:00:00:00:00:01", "10.1.0.79", NULL, -1);
	expect(&id, D_ALICE, P_ALICE, G_STAFF, "device MAC");
	assert_int_equal(id.source, IDSRC_REGISTERED);
	w->people[P_BOB].logins = NULL;
	w->people[P_BOB].nlogins = 0;
}

/* A device at a session's address with another MAC is not that person;
 * nor is a session whose User-Name nobody has. */
static void
test_resolve_8021x_refused(void **state)
{
	struct world *w = *state;
	struct ident id;

	sign_in(w, "alice@realm", "06:00:00:00:00:aa", "10.1.0.80");
	id = resolve(w, "06:00:00:00:00:bb", "10.1.0.80", NULL, -1);
	expect(&id, -1, -1, G_STAFF, "subnet");
	assert_int_equal(id.source, IDSRC_SUBNET);
	assert_non_null(id.session_refused);
	/* no frame MAC (routed): the address's session counts */
	id = resolve(w, NULL, "10.1.0.80", NULL, -1);
	assert_int_equal(id.person, P_ALICE);
	assert_int_equal(id.source, IDSRC_8021X);
	sign_in(w, "mallory", NULL, "10.1.0.81");
	id = resolve(w, NULL, "10.1.0.81", NULL, -1);
	assert_int_equal(id.person, -1);
	assert_int_equal(id.source, IDSRC_SUBNET);
	/* found by MAC when the address is not in the session (IPv6) */
	id = resolve(w, "06:00:00:00:00:aa", "fd00::5", NULL, -1);
	assert_int_equal(id.person, P_ALICE);
	assert_int_equal(id.group, G_STAFF);
	assert_string_equal(ident_source_name(id.source), "8021x");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define W(f)	cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)
		W(test_resolve_device_mac_owner_group),
		W(test_resolve_device_own_group),
		W(test_resolve_group_listing_device),
		W(test_resolve_device_ip),
		W(test_resolve_ip_with_other_mac),
		W(test_resolve_lease_mac),
		W(test_resolve_given_mac_beats_lease),
		W(test_resolve_router_mac_uses_lease),
		W(test_resolve_interface),
		W(test_resolve_subnet_longest_prefix),
		W(test_resolve_default),
		W(test_resolve_as_group),
		W(test_resolve_8021x_first),
		W(test_resolve_8021x_refused),
#undef W
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
