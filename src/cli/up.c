/* rampart up | down CONFIG_FILE | INTERFACE: wg-quick up and down for
 * Rampart's daemon.  The work is in src/quick/updown.c; this file is the
 * command line. */
#include "cli.h"

#include "firewall/firewall.h"
#include "firewall/fwapply.h"
#include "quick/updown.h"

#include "common/netaddr.h"

#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* stdin is a terminal or SSH_CONNECTION is set (and not empty): the
 * contract's condition for a confirm window by default. */
static bool interactive(void)
{
	const char *ssh = getenv("SSH_CONNECTION");

	return isatty(STDIN_FILENO) || (ssh && *ssh);
}

int cli_apply_flags(int argc, char *argv[], bool allow_persist, struct fwapply_opts *o)
{
	bool set = false;
	int i;

	memset(o, 0, sizeof(*o));
	o->ui = &cli_firewall_ui;
	for (i = 1; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--no-confirm")) {
			o->confirm_secs = 0;
			set = true;
		} else if (!strcmp(argv[i], "--confirm-timeout")) {
			uint32_t secs = 1;
			const char *why;

			if (i + 1 >= argc) {
				fprintf(stderr, "%s %s: --confirm-timeout needs a number of seconds\n",
					prog_name, argv[0]);
				return -1;
			}
			if (!netaddr_parse_u32(&secs, argv[i + 1], FIREWALL_CONFIRM_MAX_SECS, &why) ||
			    !secs) {
				fprintf(stderr, "%s %s: invalid --confirm-timeout `%s': %s\n", prog_name,
					argv[0], argv[i + 1], secs ? why : "must be at least 1 second");
				return -1;
			}
			o->confirm_secs = secs;
			set = true;
			i++;
		} else if (allow_persist && !strcmp(argv[i], "--persist-sysctls")) {
			o->persist_sysctls = true;
		} else {
			fprintf(stderr, "%s %s: unknown option `%s'\n", prog_name, argv[0], argv[i]);
			return -1;
		}
	}
	if (!set && interactive())
		o->confirm_secs = FIREWALL_CONFIRM_DEFAULT_SECS;
	return i - 1;
}

static void usage(FILE *f, const char *cmd)
{
	fprintf(f,
		"Usage: %s %s [--netns NAME] [--confirm-timeout SECS | --no-confirm]\n"
		"       [ CONFIG_FILE | INTERFACE ]\n\n"
		"  CONFIG_FILE is a configuration file, whose filename is the interface name\n"
		"  followed by `.conf'. Otherwise, INTERFACE is an interface name, with\n"
		"  configuration found at /etc/wireguard/INTERFACE.conf. The file is in\n"
		"  wg-quick(8) format: Address, DNS, MTU, Table, PreUp, PostUp, PreDown,\n"
		"  PostDown and SaveConfig are understood as wg-quick understands them.\n\n"
		"  up starts the daemon ($RAMPARTD, else the rampartd next to this program,\n"
		"  else rampartd from PATH), loads the configuration and sets up addresses,\n"
		"  MTU, DNS and routes, undoing everything if a step fails. What it did is\n"
		"  recorded in /run/rampart/INTERFACE.state; down undoes exactly that.\n\n"
		"  up also applies the hardening policy of the file's [Policy] section (or\n"
		"  of the role it infers: hub, client or site; `Policy = off' in [Interface]\n"
		"  opts out): table inet rampart-INTERFACE and the role's sysctls, which down\n"
		"  removes and restores (docs/firewall.md). Run from a terminal or over SSH,\n"
		"  the new firewall must be confirmed within 60 s (Enter, or `rampart\n"
		"  confirm INTERFACE') or it is rolled back and up undone; --confirm-timeout\n"
		"  sets the window, --no-confirm turns it off.\n\n"
		"  --netns NAME (or `Namespace = NAME' in [Interface]) puts the interface in\n"
		"  the network namespace NAME (/run/netns/NAME, as `ip netns add' makes it)\n"
		"  while the daemon and its UDP sockets stay here; addresses, routes and the\n"
		"  policy's rules for the interface go there, its WireGuard port's rules\n"
		"  stay here (docs/tenant.md). down finds the namespace in the state.\n",
		prog_name, cmd);
}

/* The interface of `up FILE|IFNAME`: FILE's name less ".conf", as
 * wg-quick names it. */
static const char *interface_of(const char *arg)
{
	static char name[IFNAMSIZ];
	const char *base = strrchr(arg, '/');
	size_t n;

	base = base ? base + 1 : arg;
	n = strlen(base);
	if (n > 5 && !strcmp(base + n - 5, ".conf"))
		n -= 5;
	snprintf(name, sizeof(name), "%.*s", (int)n, base);
	return name;
}

/* Takes `--netns NAME' (up's alone, so not in cli_apply_flags) out of
 * the options in front of the operand; 0, or -1 having said why. */
static int take_netns(int *argc, char *argv[], const char **netns)
{
	for (int i = 1; i < *argc && !strncmp(argv[i], "--", 2); i++) {
		if (strcmp(argv[i], "--netns"))
			continue;
		if (i + 1 >= *argc || !argv[i + 1][0]) {
			fprintf(stderr, "%s %s: --netns needs a network namespace name\n", prog_name,
				argv[0]);
			return -1;
		}
		*netns = argv[i + 1];
		memmove(&argv[i], &argv[i + 2], (size_t)(*argc - i - 1) * sizeof(*argv));
		*argc -= 2;
		return 0;
	}
	return 0;
}

static int updown_main(int argc, char *argv[], bool is_up)
{
	/* down uses only the ui: progress lines and messages. */
	struct fwapply_opts fw = { 0 };
	struct firewall_ui ui = cli_firewall_ui;
	const char *netns = NULL;
	char who[64];
	int n;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
			  !strcmp(argv[1], "help"))) {
		usage(stdout, argv[0]);
		return 0;
	}
	if (is_up && take_netns(&argc, argv, &netns))
		return 1;
	n = is_up ? cli_apply_flags(argc, argv, false, &fw) : 0;
	if (n < 0)
		return 1;
	argv[n] = argv[0]; /* the command's name stays in front */
	argc -= n;
	argv += n;
	if (argc != 2) {
		usage(stderr, argv[0]);
		return 1;
	}
	/* As wg-quick exports it: hooks and the tools we run speak C. */
	setenv("LC_ALL", "C", 1);
	snprintf(who, sizeof(who), "%s %s", prog_name, argv[0]);
	ui.arg = who; /* "rampart up: ..." */
	fw.ui = &ui;
	if (!is_up)
		return updown_down(argv[1], &fw) ? 1 : 0;
	if (updown_up(argv[1], netns, &fw))
		return 1;
	return peer_up_follow(who, interface_of(argv[1]));
}

int up_main(int argc, char *argv[])
{
	return updown_main(argc, argv, true);
}

int down_main(int argc, char *argv[])
{
	return updown_main(argc, argv, false);
}
