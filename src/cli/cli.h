/* The rampart CLI: one entry point per subcommand, each in its own file,
 * dispatched from the table in main.c.  Each returns the exit status. */
#ifndef RAMPART_CLI_CLI_H
#define RAMPART_CLI_CLI_H

#include "monitor/metrics.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern const char *prog_name;

struct firewall_counters;
struct firewall_ui;
struct conf;
struct fwapply_opts;
struct textbuf;

/* The operator's terminal for the firewall and for up and down
 * (firewall.h): "[#] ..." progress lines, messages ("WHO: ...", "WHO:
 * warning: ...", "[!] ...", "Warning: ...", by kind) and the confirm
 * window's prompt on stderr, and an Enter on stdin, when it is a terminal
 * and we are in its foreground, confirms.  Its arg is NULL, which makes
 * WHO prog_name; a command copies it and points arg at its own name
 * ("rampart up") to have that in front instead.  In firewall.c. */
extern const struct firewall_ui cli_firewall_ui;

/* The flags of the commands that apply the hardening policy (up, firewall
 * apply): "--confirm-timeout SECS", "--no-confirm" and, with
 * allow_persist, "--persist-sysctls", taken from the front of argv
 * (argv[0] is the command).  Without a flag, the window is
 * FIREWALL_CONFIRM_DEFAULT_SECS when the command is interactive (a
 * terminal or an SSH session), none otherwise; progress and the prompt
 * go to cli_firewall_ui.  Returns how many
 * arguments it consumed, or -1 after printing what is wrong. */
int cli_apply_flags(int argc, char *argv[], bool allow_persist, struct fwapply_opts *o);

/* Shared by status and check (in status.c): s as a JSON string, quotes
 * included; o written to stdout and wiped (false, after saying so, when
 * that failed); a --max-handshake-age value, 0..HEALTH_AGE_MAX (-1 after
 * saying what is wrong; s NULL: the value is missing). */
void cli_json_string(struct textbuf *o, const char *s);
bool cli_write_out(struct textbuf *o);
int cli_parse_max_age(const char *s, int64_t *out);

int genkey_main(int argc, char *argv[]);
int genpsk_main(int argc, char *argv[]);
int pubkey_main(int argc, char *argv[]);
int strip_main(int argc, char *argv[]);
int up_main(int argc, char *argv[]);
int down_main(int argc, char *argv[]);
int show_main(int argc, char *argv[]);
int showconf_main(int argc, char *argv[]);
int set_main(int argc, char *argv[]);
int setconf_main(int argc, char *argv[]);
int addconf_main(int argc, char *argv[]);
int syncconf_main(int argc, char *argv[]);
int firewall_main(int argc, char *argv[]);
int confirm_main(int argc, char *argv[]);
int panic_main(int argc, char *argv[]);
/* rampart peer SUBCOMMAND: the peer inventory (peer.c). */
int peer_main(int argc, char *argv[]);
/* rampart peer apply [-i IFNAME] [--db PATH] [--json] (peer_apply.c):
 * argv[0] is "apply".  The running interface follows the inventory
 * (inventory/plan.h); the interface's observations are kept in it. */
int peer_apply_main(int argc, char *argv[]);
/* The same on an open store and a chosen hub (its share goes to its
 * interface), for a dispatcher that opened them (and marked expiries)
 * itself; who is the invoking user for the change log.  Prints the
 * report or the error; returns the exit code. */
struct inv_store;
int peer_apply_iface(struct inv_store *s, const char *hub, const char *who, bool json);
/* After a change of the inventory: the same apply, saying nothing on
 * stdout, when hub's interface is running here (a live control socket)
 * and is hub's: a hub named apart from its interface (one of several,
 * all of whose interfaces may be wg0) only when the interface has the
 * public key the inventory has for the hub.  Nothing otherwise (`rampart
 * up` loads the inventory; the hub's own host applies it).  1 after
 * saying on stderr that the change is saved but the interface did not
 * follow. */
int peer_follow(struct inv_store *s, const char *cmd, const char *hub, const char *who);
/* After `rampart up IFNAME`: when the inventory (RAMPART_DB, or the
 * default path; none there is nothing to do) has a hub on interface
 * ifname (of several, the one with the interface's public key), the
 * interface gets that hub's share.  0, or 1 after saying why not. */
int peer_up_follow(const char *cmd, const char *ifname);
/* The config file with the peers' names of IFNAME: path, or else
 * /etc/wireguard/IFNAME.conf when it exists.  NULL when there is none or
 * it cannot be read, said on stderr as "rampart CMD: IFNAME: no peer
 * names: why" (names are never worth failing a command for).  conf_free()
 * it. */
struct conf *cli_peer_names(const char *cmd, const char *ifname, const char *path);

/* The host's facts of rampart metrics for interfaces ifs (hostfacts.c):
 * host is what metrics_render_host() takes; fw and tables own what it
 * points to (and the interfaces' names are ifs's).  What cannot be read is
 * left out, said on stderr as "rampart CMD: ..." where it is a fault.
 * cli_host_facts_free() it. */
struct cli_host_facts {
	struct metrics_host host;
	struct metrics_firewall_counter *fw;
	struct firewall_counters *tables;
};
void cli_host_facts(const char *cmd, const struct metrics_interface *ifs, size_t n,
		    struct cli_host_facts *f);
void cli_host_facts_free(struct cli_host_facts *f);
/* Only the conntrack figures (which anyone may read): for `metrics
 * serve`, which has no capability to list the firewall's counters. */
void cli_conntrack(const char *cmd, struct metrics_host *h);

/* The inventory's client side (docs/inventory-config.md); the `peer'
 * dispatcher calls them with argv[0] the subcommand ("config",
 * "request").  peer config NAME [--qr] [--qr-png FILE] [-i IFNAME] [--db
 * PATH] [--json] (peer_config.c); peer request NAME [--key-file FILE]
 * [--out FILE], on the client's machine (peer_request.c). */
int peer_config_main(int argc, char *argv[]);
int peer_request_main(int argc, char *argv[]);

/* Where a client config goes (peer config, and peer add --generate,
 * which prints one with its private key once): its text on stdout, or
 * with qr its QR code drawn for the terminal instead, or with json an
 * object {"interface","peer","config"}; with png also a new PNG file of
 * the QR code, created 0600 (it holds the private key when the config
 * does) and never over an existing file. */
struct cli_client_out {
	bool qr, json;
	const char *png;
};
/* Takes "--qr", "--qr-png FILE" or "--json" at argv[*i], advancing *i
 * past its value: 1 when it took one, 0 when argv[*i] is none of them,
 * -1 after printing what is wrong (a missing FILE). */
int cli_client_out_flag(const char *cmd, int argc, char *argv[], int *i,
			struct cli_client_out *o);
/* Writes the config text (len bytes) as o says; cmd names the command
 * in messages ("rampart peer config: ..."), iface and peer fill the JSON.
 * True on success, false after saying why on stderr. */
bool cli_client_out_write(const char *cmd, const struct cli_client_out *o, const char *iface,
			  const char *peer, const char *text, size_t len);

int metrics_main(int argc, char *argv[]);
/* rampart metrics serve (serve.c); argv[0] is "serve". */
int metrics_serve_main(int argc, char *argv[]);
int status_main(int argc, char *argv[]);
int check_main(int argc, char *argv[]);
int events_main(int argc, char *argv[]);
/* rampart audit [IFNAME...] [--root DIR] [--json] (audit.c): the first
 * checks of audit/audit.h; exit 0 none (or infos only), 1 warnings, 2
 * critical, 3 when the audit could not run. */
int audit_main(int argc, char *argv[]);
/* rampart diff IFNAME [--config FILE] [--db PATH] [--json] (diff.c): the
 * drift of audit/drift.h; exit 0 none, 1 some, 3 when it cannot run. */
int diff_main(int argc, char *argv[]);
/* rampart doctor IFNAME [PEER] [--wait SECS] [--json] (doctor.c): the
 * diagnosis playbook of audit/doctor.h; exit 0 every step that ran ok, 1
 * a broken layer, 3 when doctor cannot run. */
int doctor_main(int argc, char *argv[]);

#endif
