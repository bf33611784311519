/* The control protocol's device model (src/uapi/device.c): what the
 * constructors fill in and where each array stops growing. */
#include "harness.h"

#include "common/netaddr.h"
#include "uapi/device.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

static void test_alloc_and_peers(void)
{
	static const uint8_t zero[KEY_LEN];
	struct uapi_device *dev = uapi_device_alloc();
	uint8_t key[KEY_LEN];

	CHECK(dev != NULL);
	if (!dev)
		return;
	CHECK(!dev->flags && !dev->n_peers && !dev->n_counters && !dev->name[0]);
	for (unsigned i = 0; i < 100; i++) {
		struct uapi_peer *p;

		memset(key, (int)i, sizeof(key));
		p = uapi_device_add_peer(dev, key);
		CHECK(p == &dev->peers[i]);
		if (!p)
			break;
		CHECK(!memcmp(p->public_key, key, KEY_LEN) && !p->flags && !p->line);
		CHECK(!memcmp(p->preshared_key, zero, KEY_LEN) && !p->n_allowed_ips);
		p->line = i + 1;
	}
	CHECK(dev->n_peers == 100 && dev->cap_peers >= 100 && dev->cap_peers < 200);
	/* The array moved as it grew, with every peer intact. */
	for (unsigned i = 0; i < dev->n_peers; i++)
		CHECK(dev->peers[i].public_key[0] == i && dev->peers[i].line == i + 1);
	uapi_device_free(dev);
	uapi_device_free(NULL);
}

static void test_allowed_ips(void)
{
	struct uapi_device *dev = uapi_device_alloc();
	struct netaddr_prefix pfx;
	struct uapi_peer *p;
	const char *why;
	size_t i;
	int r = 0;

	CHECK(dev != NULL);
	if (!dev)
		return;
	p = uapi_device_add_peer(dev, (const uint8_t[KEY_LEN]){ 1 });
	CHECK(p != NULL);
	if (!p)
		goto out;
	CHECK(netaddr_parse_prefix(&pfx, "10.0.0.0/8", &why));
	CHECK(uapi_peer_add_allowed_ip(p, &pfx, UAPI_ALLOWED_IP_ADD) == 0);
	CHECK(uapi_peer_add_allowed_ip(p, NULL, UAPI_ALLOWED_IP_REPLACE) == 0);
	CHECK(uapi_peer_add_allowed_ip(p, &pfx, UAPI_ALLOWED_IP_REMOVE) == 0);
	CHECK(p->n_allowed_ips == 3);
	CHECK(p->allowed_ips[0].action == UAPI_ALLOWED_IP_ADD &&
	      netaddr_prefix_equal(&p->allowed_ips[0].prefix, &pfx));
	/* A REPLACE step has no prefix: zeros. */
	CHECK(p->allowed_ips[1].action == UAPI_ALLOWED_IP_REPLACE &&
	      !p->allowed_ips[1].prefix.addr.family && !p->allowed_ips[1].prefix.cidr);
	CHECK(p->allowed_ips[2].action == UAPI_ALLOWED_IP_REMOVE);
	/* Up to UAPI_ALLOWED_IPS_MAX, then E2BIG and nothing changes. */
	for (i = p->n_allowed_ips; i < UAPI_ALLOWED_IPS_MAX && !r; i++)
		r = uapi_peer_add_allowed_ip(p, &pfx, UAPI_ALLOWED_IP_ADD);
	CHECK(r == 0 && p->n_allowed_ips == UAPI_ALLOWED_IPS_MAX);
	CHECK(uapi_peer_add_allowed_ip(p, &pfx, UAPI_ALLOWED_IP_ADD) == -E2BIG);
	CHECK(p->n_allowed_ips == UAPI_ALLOWED_IPS_MAX &&
	      p->cap_allowed_ips == UAPI_ALLOWED_IPS_MAX);
out:
	uapi_device_free(dev);
}

static void test_counters(void)
{
	struct uapi_device *dev = uapi_device_alloc();
	char name[UAPI_COUNTER_NAME_MAX + 8];
	int r = 0;

	CHECK(dev != NULL);
	if (!dev)
		return;
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	CHECK(uapi_device_add_counter(dev, name, 7) == 0);
	CHECK(strlen(dev->counters[0].name) == UAPI_COUNTER_NAME_MAX);
	CHECK(dev->counters[0].value == 7);
	CHECK(uapi_device_add_counter(dev, "drop_invalid_mac1", 1) == 0);
	CHECK_STR(dev->counters[1].name, "drop_invalid_mac1");
	while (dev->n_counters < UAPI_COUNTERS_MAX && !r)
		r = uapi_device_add_counter(dev, "x", dev->n_counters);
	CHECK(r == 0 && dev->n_counters == UAPI_COUNTERS_MAX);
	CHECK(uapi_device_add_counter(dev, "x", 0) == -E2BIG);
	CHECK(dev->n_counters == UAPI_COUNTERS_MAX);
	uapi_device_free(dev);
}

static const struct harness_case cases[] = {
	{ "alloc, peers, growth", test_alloc_and_peers },
	{ "allowed-IP steps up to the limit", test_allowed_ips },
	{ "counters: names cut, up to the limit", test_counters },
};

HARNESS_MAIN(cases)
