/* Network namespaces by name, as ip-netns(8) keeps them: a file under
 * /run/netns bound to the namespace.  `rampart up --netns` moves the
 * interface into one and configures it from inside: the calling thread
 * enters it (setns) and comes back, while sockets it opened before stay
 * in the namespace they were opened in. */
#ifndef RAMPART_SYS_NETNS_H
#define RAMPART_SYS_NETNS_H

#include "common/compiler.h"

#include <stdbool.h>

struct error;

#define NETNS_RUN_DIR "/run/netns"

/* What ip-netns(8) accepts as a name: not empty, not "." or "..", no '/',
 * shorter than a file name may be. */
bool netns_valid_name(const char *name) warn_unused;
/* A descriptor for the namespace NETNS_RUN_DIR/name, checked to be a
 * network namespace; -errno with the name in err ("no such network
 * namespace `NAME'" for a missing one). */
int netns_open(const char *name, struct error *err) warn_unused;
/* A descriptor for the calling thread's own network namespace, to come
 * back to; -errno. */
int netns_open_self(struct error *err) warn_unused;
/* Moves the calling thread into the namespace fd names (CAP_SYS_ADMIN);
 * 0 or -errno. */
int netns_enter(int fd, const char *what, struct error *err) warn_unused;

#endif
