/* The hardening policy, applied: what `rampart firewall apply` and
 * `rampart up` do with a config's policy.  It gathers the facts the pure
 * renderer (nftpolicy.h) needs from the running host (the WAN interface
 * from the default route, the SSH session from SSH_CONNECTION, the peers'
 * endpoints through the resolver, the WireGuard port and the tunnel MTU
 * from the running interface), renders the table, hands it to the safe
 * apply (firewall.h) and sets the role's kernel settings (sysctls.h),
 * recording what they were so that `rampart down` puts them back.
 *
 * Progress goes to the caller's struct firewall_ui (firewall.h), which
 * the CLI prints as "[#] ..." lines like `rampart up`'s; errors go to the
 * caller's buffer. */
#ifndef RAMPART_FIREWALL_FWAPPLY_H
#define RAMPART_FIREWALL_FWAPPLY_H

#include "common/compiler.h"
#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>

struct conf;
struct firewall_ui;
struct textbuf;

struct fwapply_opts {
	unsigned confirm_secs;  /* the confirm window; 0: none */
	bool persist_sysctls;   /* also write /etc/sysctl.d/90-rampart-IF.conf */
	/* Progress lines and the confirm window's prompt (firewall.h);
	 * NULL: none of either. */
	const struct firewall_ui *ui;
	/* The interface is in a tenant namespace, which the caller has
	 * entered: the table there leaves the WireGuard port's rules to
	 * fwapply_apply_uplink in the namespace of the UDP sockets. */
	bool tenant;
};

/* The batch `apply` would apply for conf (read from filename, for
 * messages) on ifname, with this host's facts: for `rampart firewall
 * show --rendered` and dry runs.  Policy = off renders the deletion of
 * the table.  0, or -errno with a message in err (a contradiction in
 * the policy, with file and line; no WAN interface for Egress; an
 * endpoint that does not resolve while the kill switch needs it). */
int fwapply_render(const char *ifname, const struct conf *conf, const char *filename,
		   struct textbuf *out, struct error *err) warn_unused;

/* Renders and applies the policy of conf on ifname, then the role's
 * sysctls (not when the change was rolled back, and not for Policy =
 * off, which removes the table and restores the sysctls instead).
 * *kept: false when a confirm window ended without confirmation (the
 * previous table is back; the return value is still 0).  -errno with a
 * message when nothing was applied. */
int fwapply_apply(const char *ifname, const struct conf *conf, const char *filename,
		  const struct fwapply_opts *opts, bool *kept, struct error *err) warn_unused;

/* What `rampart down` does: deletes table inet rampart-IF (closing an
 * open window) and restores the sysctls that apply changed and nobody
 * changed since.  Its progress goes to ui (NULL: nowhere).  0 or -errno
 * with a message. */
int fwapply_remove(const char *ifname, const struct firewall_ui *ui, struct error *err) warn_unused;

/* For an interface in a tenant namespace, called in the namespace of its
 * UDP sockets after fwapply_apply (tenant) in the tenant's: table inet
 * rampart-IF there with the WireGuard port's rules (nftpolicy.h,
 * nftpolicy_render_uplink), applied without a confirm window (its input
 * chain accepts by default: it cannot cut anyone off).  *applied: false
 * when there is nothing to apply (Policy = off, no port). */
int fwapply_apply_uplink(const char *ifname, const struct conf *conf, const char *filename,
			 const struct firewall_ui *ui, bool *applied,
			 struct error *err) warn_unused;
/* Deletes that table (no error if absent). */
int fwapply_remove_uplink(const char *ifname, const struct firewall_ui *ui,
			  struct error *err) warn_unused;
/* When the tenant namespace is gone, and its table and kernel settings
 * with it: forgets IF's firewall state and the record of the sysctls
 * apply changed there, restoring nothing (they were the tenant's). */
int fwapply_forget(const char *ifname, struct error *err) warn_unused;

/* For `rampart firewall show`: the role's sysctls for conf, expected
 * against actual, one line each, into out. */
int fwapply_report_sysctls(const char *ifname, const struct conf *conf, const char *filename,
			   struct textbuf *out, bool *all_ok, struct error *err) warn_unused;

#endif
