/* Panic mode: table inet rampart-panic, which drops everything but SSH
 * (firewall.h). */
#include "firewall.h"
#include "nft.h"

#include "sys/nftables.h"
#include "common/error.h"
#include "common/netaddr.h"
#include "common/textbuf.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

/* --- panic --------------------------------------------------------------------------- */

static const char *family_word(int family)
{
	return family == AF_INET ? "ip" : "ip6";
}

/* The prefix with its host bits cleared, as text. */
static char *format_network(char buf[NETADDR_PREFIX_STRLEN], const struct netaddr_prefix *p)
{
	struct netaddr_prefix n = *p;
	unsigned bits = n.addr.family == AF_INET ? 32 : 128;

	if (n.cidr > bits)
		n.cidr = (uint8_t)bits;
	netaddr_prefix_mask(&n);
	return netaddr_format_prefix(buf, &n);
}

/* The input chain (in) or the output chain: loopback, this SSH session
 * both ways, SSH from ssh_from (and, going out, its replies), neighbour
 * discovery. */
static void render_chain(struct textbuf *o, const struct firewall_panic *p, bool in)
{
	const char *addr = in ? "saddr" : "daddr", *port = in ? "dport" : "sport";
	char a[NETADDR_PREFIX_STRLEN], ip[NETADDR_IP_STRLEN];

	textbuf_printf(o, "\tchain %s {\n\t\ttype filter hook %s priority %d; policy drop;\n",
		       in ? "input" : "output", in ? "input" : "output", FIREWALL_PANIC_PRIORITY);
	textbuf_printf(o, "\t\t%s \"lo\" accept\n", in ? "iif" : "oif");
	if (p->session)
		textbuf_printf(o, "\t\t%s %s %s tcp %s %u accept comment \"this SSH session\"\n",
			       family_word(p->session_client.family), addr,
			       netaddr_format_ip(ip, &p->session_client), port, p->session_port);
	for (size_t i = 0; i < p->n_ssh_from; i++)
		textbuf_printf(o, "\t\t%s %s %s tcp %s %u%s accept\n",
			       family_word(p->ssh_from[i].addr.family), addr,
			       format_network(a, &p->ssh_from[i]), port, p->ssh_port,
			       in ? "" : " ct state established");
	textbuf_printf(o, "\t\ticmpv6 type { %s } ip6 hoplimit 255 accept\n\t}\n",
		       in ? "nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert" :
		       "nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert");
}

void firewall_panic_render(struct textbuf *o, const struct firewall_panic *p)
{
	static const char *const t = FIREWALL_PANIC_TABLE;

	textbuf_printf(o, "add table inet %s\ndelete table inet %s\n", t, t);
	textbuf_printf(o, "table inet %s {\n", t);
	render_chain(o, p, true);
	textbuf_printf(o, "\tchain forward {\n\t\ttype filter hook forward priority %d; "
		       "policy drop;\n\t}\n", FIREWALL_PANIC_PRIORITY);
	render_chain(o, p, false);
	textbuf_printf(o, "}\n");
}

int firewall_panic_on(const struct firewall_panic *p, struct error *err)
{
	struct error e;
	struct textbuf b = { 0 };
	int ret;

	firewall_panic_render(&b, p);
	if (b.err) {
		ret = error_fail(err, b.err, "%s", strerror(-b.err));
	} else {
		ret = firewall_run(b.buf, &e);
		if (ret)
			error_fail(err, ret, "nft refused the panic table; nothing changed:\n%s", e.msg);
	}
	textbuf_wipe(&b);
	return ret;
}

int firewall_panic_active(bool *on, struct error *err)
{
	struct textbuf t = { 0 };
	int ret;

	*on = false;
	ret = nftables_exec("list tables inet\n", false, 0, &t, 0, err);
	if (!ret)
		*on = nft_has_table(t.buf ? t.buf : "", "inet", FIREWALL_PANIC_TABLE);
	textbuf_wipe(&t);
	return ret;
}

int firewall_panic_off(bool *was_on, struct error *err)
{
	struct error e;
	bool on = false;
	int ret;

	if (firewall_panic_active(&on, &e))
		on = false; /* not known: deleting says more */
	if (was_on)
		*was_on = on;
	ret = nft_delete_table(FIREWALL_PANIC_TABLE, &e);
	if (ret)
		error_fail(err, ret, "cannot delete table inet " FIREWALL_PANIC_TABLE ":\n%s", e.msg);
	return ret;
}

