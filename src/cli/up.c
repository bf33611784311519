/* rampart up | down CONFIG_FILE | INTERFACE: wg-quick up and down for
 * Rampart's daemon.  The work is in src/ops/updown.c; this file is the
 * command line. */
#include "cli.h"

#include "ops/updown.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f, const char *cmd)
{
	fprintf(f,
		"Usage: %s %s [ CONFIG_FILE | INTERFACE ]\n\n"
		"  CONFIG_FILE is a configuration file, whose filename is the interface name\n"
		"  followed by `.conf'. Otherwise, INTERFACE is an interface name, with\n"
		"  configuration found at /etc/wireguard/INTERFACE.conf. The file is in\n"
		"  wg-quick(8) format: Address, DNS, MTU, Table, PreUp, PostUp, PreDown,\n"
		"  PostDown and SaveConfig are understood as wg-quick understands them.\n\n"
		"  up starts the daemon ($RAMPARTD, else the rampartd next to this program,\n"
		"  else rampartd from PATH), loads the configuration and sets up addresses,\n"
		"  MTU, DNS and routes, undoing everything if a step fails. What it did is\n"
		"  recorded in /run/rampart/INTERFACE.state; down undoes exactly that.\n",
		prog_name, cmd);
}

static int updown_main(int argc, char *argv[], bool is_up)
{
	char who[64];

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
			  !strcmp(argv[1], "help"))) {
		usage(stdout, argv[0]);
		return 0;
	}
	if (argc != 2) {
		usage(stderr, argv[0]);
		return 1;
	}
	/* As wg-quick exports it: hooks and the tools we run speak C. */
	setenv("LC_ALL", "C", 1);
	snprintf(who, sizeof(who), "%s %s", prog_name, argv[0]);
	return (is_up ? updown_up(argv[1], who) : updown_down(argv[1], who)) ? 1 : 0;
}

int up_main(int argc, char *argv[])
{
	return updown_main(argc, argv, true);
}

int down_main(int argc, char *argv[])
{
	return updown_main(argc, argv, false);
}
