/* src/daemon/handover.c: the engine's side of the handover.  A whole
 * message with the descriptors it names builds a daemon on them, which
 * daemon_uninit closes; a short message, a wrong magic, a descriptor too
 * few or too many, a queue count of 0 or past the maximum, no family or
 * an unknown one, a name without its NUL: each refused with -EPROTO and
 * every descriptor that came with it closed (the count of open
 * descriptors is back where it was), nothing built.  handover_parse,
 * the pure check of the message, alone too. */
#include "harness.h"

#include "daemon/daemon.h"
#include "daemon/handover.h"
#include "daemon/privsep.h"

#include "common/error.h"
#include "crypto/crypto.h"

#include <dirent.h>
#include <errno.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* A valid message for one queue, IPv4 only, no statistics socket. */
static void valid(struct handover_wire *w)
{
	memset(w, 0, sizeof(*w));
	w->magic = HANDOVER_MAGIC;
	w->n_queues = 1;
	w->ifindex = 1;
	w->mtu = 1420;
	w->families = HANDOVER_V4;
	w->port = 51820;
	strcpy(w->ifname, "tst0");
	strcpy(w->ctl_path, "/nonexistent/tst0.sock");
}

/* The five descriptors a valid message names, of the kinds the engine
 * uses: a TUN queue stands in as a pipe's end. */
static unsigned make_fds(int *fds)
{
	int p[2];

	CHECK(pipe(p) == 0);
	close(p[1]);
	fds[0] = p[0];
	fds[1] = socket(AF_UNIX, SOCK_STREAM, 0);
	fds[2] = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	fds[3] = inotify_init1(0);
	fds[4] = socket(AF_INET, SOCK_DGRAM, 0);
	for (int i = 0; i < 5; i++)
		CHECK(fds[i] >= 0);
	return 5;
}

/* Sends len bytes of w with n of fds, closes our copies, and adopts on
 * the other end; the result. */
static int hand(const struct handover_wire *w, size_t len, const int *fds, unsigned n,
		struct daemon *d)
{
	struct error err = { 0 };
	int sv[2], ret;

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	CHECK(privsep_send_fds(sv[0], w, len, fds, n) == 0);
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
	close(sv[0]);
	ret = handover_adopt(d, sv[1], &err);
	CHECK_MSG(ret == 0 || err.msg[0], "a refusal without a message");
	daemon_uninit(d);
	close(sv[1]);
	return ret;
}

static void test_valid(void)
{
	static struct daemon d;
	struct handover_wire w;
	int fds[8];
	unsigned base = open_fds(), n;
	struct error err = { 0 };
	int sv[2];

	CHECK(crypto_init() == 0);
	valid(&w);
	n = make_fds(fds);
	/* Not through hand(): the daemon is looked at before daemon_uninit. */
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	CHECK(privsep_send_fds(sv[0], &w, sizeof(w), fds, n) == 0);
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
	close(sv[0]);
	CHECK_MSG(handover_adopt(&d, sv[1], &err) == 0, "%s", err.msg);
	CHECK_STR(d.tun.name, "tst0");
	CHECK(d.tun.ifindex == 1 && d.tun.n_queues == 1 && d.n_workers == 1);
	CHECK(d.udp.n_pairs == 1 && d.udp.port == 51820 && d.udp.pairs[0].fd4 >= 0 &&
	      d.udp.pairs[0].fd6 == -1);
	CHECK(d.server.listen_fd >= 0 && d.stats_server.listen_fd == -1 && d.monitor);
	CHECK(d.dev.mtu == 1420 && d.priv_fd == sv[1]);
	daemon_uninit(&d);
	close(sv[1]);
	CHECK_MSG(open_fds() == base, "%u descriptors open, %u before", open_fds(), base);
}

static void test_malformed(void)
{
	static struct daemon d;
	struct handover_wire w;
	int fds[8];
	unsigned base = open_fds(), n;
	/* A message one byte short, and one byte long. */
	valid(&w);
	n = make_fds(fds);
	CHECK(hand(&w, sizeof(w) - 1, fds, n, &d) == -EPROTO);
	CHECK_MSG(open_fds() == base, "short: %u open, %u before", open_fds(), base);
	/* A descriptor too few, then one too many (the stats listener the
	 * message does not announce). */
	n = make_fds(fds);
	CHECK(hand(&w, sizeof(w), fds, n - 1, &d) == -EPROTO);
	close(fds[n - 1]); /* ours, not sent */
	CHECK_MSG(open_fds() == base, "too few: %u open, %u before", open_fds(), base);
	n = make_fds(fds);
	fds[n] = dup(fds[1]);
	CHECK(hand(&w, sizeof(w), fds, n + 1, &d) == -EPROTO);
	CHECK_MSG(open_fds() == base, "too many: %u open, %u before", open_fds(), base);
	/* No descriptor at all. */
	CHECK(hand(&w, sizeof(w), fds, 0, &d) == -EPROTO);
	/* Fields: each spoiled alone. */
	for (int k = 0; k < 8; k++) {
		valid(&w);
		switch (k) {
		case 0: w.magic ^= 1; break;
		case 1: w.n_queues = 0; break;
		case 2: w.n_queues = HANDOVER_MAX_QUEUES + 1; break;
		case 3: w.families = 0; break;
		case 4: w.families = 4 | HANDOVER_V4; break;
		case 5: memset(w.ifname, 'a', sizeof(w.ifname)); break;
		case 6: w.mtu = 0; break;
		case 7: w.port = 65536; break;
		}
		n = make_fds(fds);
		CHECK_MSG(hand(&w, sizeof(w), fds, n, &d) == -EPROTO, "field case %d accepted", k);
		CHECK_MSG(open_fds() == base, "field case %d: %u open, %u before", k, open_fds(),
			  base);
	}
}

/* handover_parse alone, no descriptor needed: the fields and the count
 * of descriptors each message names. */
static void test_parse(void)
{
	struct handover_wire w, out;
	unsigned char buf[sizeof(w) + 1];

	valid(&w);
	CHECK(handover_parse(&w, sizeof(w), 5, &out) == 0 && !memcmp(&w, &out, sizeof(w)));
	/* Five: the queue, the control listener, the monitor's two, one UDP. */
	CHECK(handover_parse(&w, sizeof(w), 4, &out) == -EPROTO);
	CHECK(handover_parse(&w, sizeof(w), 6, &out) == -EPROTO);
	CHECK(out.magic == 0); /* a refusal leaves nothing */
	memcpy(buf, &w, sizeof(w));
	buf[sizeof(w)] = 0;
	CHECK(handover_parse(buf, sizeof(w) + 1, 5, &out) == -EPROTO);
	CHECK(handover_parse(buf, sizeof(w) - 1, 5, &out) == -EPROTO);
	CHECK(handover_parse(buf, 0, 0, &out) == -EPROTO);
	/* Two families, four queues and the statistics listener: 4 + 2 + 2 + 8. */
	w.families = HANDOVER_V4 | HANDOVER_V6;
	w.n_queues = 4;
	w.has_stats = 1;
	CHECK(handover_parse(&w, sizeof(w), 16, &out) == 0);
	w.n_queues = HANDOVER_MAX_QUEUES;
	CHECK(handover_parse(&w, sizeof(w), HANDOVER_MAX_FDS, &out) == 0);
	for (int k = 0; k < 7; k++) {
		valid(&w);
		switch (k) {
		case 0: w.has_stats = 2; break; /* flags are 0 or 1 */
		case 1: w.tun_vnet = 2; break;
		case 2: w.ifindex = 0; break;
		case 3: w.mtu = 65536; break;
		case 4: w.ifname[0] = '\0'; break;
		case 5: memset(w.ctl_path, 'a', sizeof(w.ctl_path)); break;
		case 6: memset(w.stats_path, 'a', sizeof(w.stats_path)); break;
		}
		CHECK_MSG(handover_parse(&w, sizeof(w), 5, &out) == -EPROTO, "case %d accepted", k);
	}
}

static const struct harness_case cases[] = {
	{ "handover_parse: the fields and the descriptors a message names", test_parse },
	{ "a whole message builds the daemon on its descriptors; uninit closes them", test_valid },
	{ "malformed messages are refused and their descriptors closed", test_malformed },
};

HARNESS_MAIN(cases)
