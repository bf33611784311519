/* Host names to addresses, through the C library's resolver (getaddrinfo,
 * as wg(8) and wg-quick resolve them): the one place in the tree that
 * resolves names.  Nothing here prints; a wait between tries is said to
 * the caller's callback. */
#ifndef RAMPART_SYS_RESOLVE_H
#define RAMPART_SYS_RESOLVE_H

#include "common/compiler.h"
#include "common/error.h"
#include "common/netaddr.h"

#include <stdint.h>

/* Every IPv4 and IPv6 address host has for UDP, in the resolver's order,
 * handed one by one to add(arg, addr).  0; -EHOSTUNREACH with the
 * resolver's reason ("Name or service not known") as err's message; or
 * the first non-zero value add returned. */
int resolve_each(const char *host, uint16_t port,
		 int (*add)(void *arg, const struct netaddr *addr), void *arg,
		 struct error *err) warn_unused;

/* Called before each wait of resolve_first: the resolver's reason and
 * the seconds it will wait. */
typedef void resolve_wait_fn(void *arg, const char *reason, double secs);

/* The first answer wg(8) takes for ep, a name or a literal (with its
 * IPv6 zone): getaddrinfo with AF_UNSPEC, UDP and a numeric service,
 * written back numerically (getnameinfo NI_NUMERICHOST), so that *out
 * is what wg(8) would send.  A name's temporary failure is tried again
 * up to retries times (-1: without end), after a wait that starts at 1 s
 * and grows by a fifth up to 20 s; wait (may be NULL) hears of each.
 * shown is how messages name the endpoint (already quoted as the caller
 * wants it).  0; -EHOSTUNREACH ("REASON: `SHOWN'"), -EAFNOSUPPORT
 * ("Neither IPv4 nor IPv6 address found: `SHOWN'"). */
int resolve_first(const struct netaddr_endpoint *ep, int retries, resolve_wait_fn *wait,
		  void *arg, const char *shown, struct netaddr_endpoint *out,
		  struct error *err) warn_unused;

#endif
