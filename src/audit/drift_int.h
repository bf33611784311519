/* What drift.c and drift_fw.c share; not part of the audit's API. */
#ifndef RAMPART_AUDIT_DRIFT_INT_H
#define RAMPART_AUDIT_DRIFT_INT_H

#include "drift.h"

#include <stddef.h>
#include <stdint.h>

/* A new difference at the end of l, its peer key (NULL: none), name and
 * what filled in, the rest zero; NULL when out of memory. */
struct drift *drift_add(struct drift_list *l, enum drift_kind k, const uint8_t *key,
			const char *name, const char *what_fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* How a fix names the config: IFNAME for /etc/wireguard/IFNAME.conf (or
 * no file), else the path. */
void drift_config_arg(char *buf, size_t size, const char *ifname, const char *filename);

#endif
