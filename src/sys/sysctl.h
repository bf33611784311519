/* Kernel settings as files: keys under a root directory ("/proc/sys",
 * SYSCTL_PROC_ROOT, in production; a temporary tree in the tests), and
 * the sysctl.d files that set them at boot.  What to set, and why, is the
 * firewall's plan (firewall/sysctls.h); this is only the reading and
 * writing.
 *
 * Functions return 0 or -errno and, on failure, fill err (NULL: not
 * recorded) with a message naming the key and path; nothing here
 * prints. */
#ifndef RAMPART_SYS_SYSCTL_H
#define RAMPART_SYS_SYSCTL_H

#include "common/compiler.h"
#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYSCTL_PROC_ROOT "/proc/sys"
#define SYSCTL_CONF_DIR "/etc/sysctl.d"

enum {
	/* "net.ipv6.conf." + 15-byte interface + ".accept_source_route" */
	SYSCTL_KEY_MAX = 64,
	/* Longer values are refused when read; ours are single digits. */
	SYSCTL_VALUE_MAX = 64,
	SYSCTL_IFNAME_MAX = 15, /* IFNAMSIZ - 1 */
};

/* An interface name as the kernel takes it (1..15 bytes, no '/', ':' or
 * whitespace, not "." or ".."), and printable ASCII only, since it ends
 * up in keys, reports and a file name under /etc. */
bool sysctl_valid_ifname(const char *s) warn_unused;

/* A key in sysctl(8)'s spelling: dot-separated components, each
 * non-empty, printable, and not "." or ".." once '/' and '.' are swapped
 * (a '.' inside an interface name is written '/': net.ipv4.conf.eth0/100.
 * rp_filter is /proc/sys/net/ipv4/conf/eth0.100/rp_filter). */
bool sysctl_valid_key(const char *key) warn_unused;

/* The path of key under root: dots become slashes and slashes dots.
 * 0, -EINVAL for a key that is not sysctl_valid_key (a key never leaves
 * root), -ENAMETOOLONG. */
int sysctl_key_path(char *buf, size_t size, const char *root, const char *key) warn_unused;

/* Whether key (a value or a directory of them) exists under root. */
bool sysctl_exists(const char *root, const char *key) warn_unused;

/* The value of key under root, trailing whitespace removed.  0, -ENOENT
 * if the key does not exist, -EOVERFLOW if the value does not fit in
 * SYSCTL_VALUE_MAX, or another -errno. */
int sysctl_read(const char *root, const char *key, char value[SYSCTL_VALUE_MAX],
		struct error *err) warn_unused;
/* The value of key under root as a decimal number (nf_conntrack_count and
 * the like).  As sysctl_read, and -EINVAL for a value that is not one
 * number; *value is 0 on every error. */
int sysctl_read_u64(const char *root, const char *key, uint64_t *value,
		    struct error *err) warn_unused;
/* Writes value (and a newline) to key under root; the key must exist. */
int sysctl_write(const char *root, const char *key, const char *value,
		 struct error *err) warn_unused;

/* --- sysctl.d files ------------------------------------------------------------ */

/* dir/90-rampart-IFNAME.conf.  0 or -ENAMETOOLONG. */
int sysctl_persist_path(char *buf, size_t size, const char *dir,
			const char *ifname) warn_unused;
/* Writes text to dir/90-rampart-IFNAME.conf atomically: a temporary file
 * in dir (whose name does not end in .conf), mode 0644, synced, renamed
 * over the old file, and the directory synced. */
int sysctl_persist(const char *dir, const char *ifname, const char *text, size_t len,
		   struct error *err) warn_unused;
/* Removes that file; a file that does not exist is not an error. */
int sysctl_unpersist(const char *dir, const char *ifname,
		     struct error *err) warn_unused;

#endif
