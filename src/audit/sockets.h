/* The host's listening sockets as the kernel lists them in /proc/net/tcp,
 * tcp6, udp and udp6 (the facts an `ss -lntu` shows), for the exposure
 * checks.  The parser takes a buffer; audit_sockets_read() reads the four
 * files through the facts (under their root). */
#ifndef RAMPART_AUDIT_SOCKETS_H
#define RAMPART_AUDIT_SOCKETS_H

#include "common/compiler.h"
#include "common/error.h"
#include "common/netaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct audit_facts;

/* One socket that waits for others: a TCP socket in state LISTEN, or a
 * UDP socket with no remote address (a connected UDP socket is a client's
 * and receives only from its one peer). */
struct audit_socket {
	uint8_t l4proto;         /* IPPROTO_TCP or IPPROTO_UDP */
	struct netaddr addr;     /* local; ::ffff:a.b.c.d is given as IPv4 */
	uint16_t port;
	bool wildcard;           /* 0.0.0.0 or :: */
	/* From tcp6/udp6 and bound to ::: it also takes IPv4, unless the
	 * program set IPV6_V6ONLY, which /proc does not show. */
	bool dual_stack;
	unsigned uid;
	unsigned long inode;
	const char *file;        /* "/proc/net/tcp": static text */
	unsigned line;
};

/* The sockets of one file's text (file is "/proc/net/tcp", "/proc/net/udp6"
 * and so on: it says the protocol and family).  Appended to *v (n, cap as
 * in a growing array).  0, or -EINVAL naming the line and the field that
 * is not the kernel's format, or -ENOMEM. */
int audit_sockets_parse(const char *text, size_t len, const char *file,
			struct audit_socket **v, size_t *n, size_t *cap,
			struct error *err) warn_unused;

/* Every waiting socket in ROOT/proc/net/{tcp,tcp6,udp,udp6}; a file that
 * does not exist (a fixture tree without it, a kernel without IPv6) has
 * none.  *v is freed with free(). */
int audit_sockets_read(struct audit_facts *f, struct audit_socket **v, size_t *n,
		       struct error *err) warn_unused;

/* The host's own addresses but loopback, for the packets a wildcard
 * socket may receive: IPv4 from ROOT/proc/net/fib_trie (its "/32 host
 * LOCAL" leaves), IPv6 from ROOT/proc/net/if_inet6.  Appended to *v
 * without repeats; the parsers take a buffer, audit_local_addrs() reads
 * both files (an absent one has none).  0 or -ENOMEM (what does not
 * parse is not an address: these files only feed extra packets). */
int audit_fib_trie_parse(const char *text, size_t len, struct netaddr **v, size_t *n,
			 size_t *cap) warn_unused;
int audit_if_inet6_parse(const char *text, size_t len, struct netaddr **v, size_t *n,
			 size_t *cap) warn_unused;
int audit_local_addrs(struct audit_facts *f, struct netaddr **v, size_t *n,
		      struct error *err) warn_unused;

/* True for 127.0.0.0/8 and ::1: nothing from outside the host reaches it. */
bool audit_socket_loopback(const struct audit_socket *s);

#endif
