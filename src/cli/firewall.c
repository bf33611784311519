/* rampart firewall show | confirm | rollback | flush IF, and rampart
 * confirm IF: the commands around the safe apply of src/firewall/firewall.c,
 * and rampart firewall apply | render CONFIG, which read a config and
 * hand its policy to src/firewall/fwapply.c.
 *
 * Exit status: 0 done, 1 failed (nothing to confirm, nft refused, ...),
 * 2 usage error. */
#include "cli.h"

#include "conf/config.h"
#include "common/textbuf.h"
#include "firewall/firewall.h"
#include "firewall/fwapply.h"
#include "quick/quick.h"
#include "ctl/wgctl.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* --- the operator's terminal (cli_firewall_ui) ------------------------------ */

/* Whether stdin is a terminal we still listen to, for the open window. */
static bool prompt_tty;

static void prompt_open(void *arg, const char *ifname, unsigned secs)
{
	(void)arg;
	prompt_tty = isatty(STDIN_FILENO);
	if (prompt_tty) {
		/* Only an Enter typed after the prompt counts. */
		tcflush(STDIN_FILENO, TCIFLUSH);
		fprintf(stderr, "Firewall change on %s applied. Press Enter within %u s to keep "
			"it (or run `rampart confirm %s`); Ctrl-C or no answer rolls it back.\n",
			ifname, secs, ifname);
	} else {
		fprintf(stderr, "Firewall change on %s applied. Run `rampart confirm %s` "
			"within %u s to keep it, or it is rolled back.\n", ifname, ifname, secs);
	}
}

static bool prompt_confirmed(void *arg, unsigned wait_ms)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	char buf[512];
	ssize_t n;
	int r;

	(void)arg;
	/* A background job reading its terminal would be stopped (SIGTTIN)
	 * until after its deadline: it only listens while in the
	 * foreground. */
	if (!prompt_tty || tcgetpgrp(STDIN_FILENO) != getpgrp()) {
		poll(NULL, 0, (int)wait_ms);
		return false;
	}
	r = poll(&pfd, 1, (int)wait_ms);
	if (r > 0 && !(pfd.revents & POLLIN)) {
		prompt_tty = false; /* POLLHUP, POLLERR */
		return false;
	}
	if (r <= 0)
		return false;
	n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n > 0 && memchr(buf, '\n', (size_t)n))
		return true;
	if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
		prompt_tty = false; /* end of input: only the other ways remain */
	return false;
}

static void progress_line(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "[#] %s\n", line);
}

/* The lines `rampart up` has always printed, wg-quick's among them:
 * scripts look for them, byte for byte.  arg is the command ("rampart
 * up"), NULL for prog_name alone. */
static void message_line(void *arg, enum firewall_ui_kind kind, const char *line)
{
	const char *who = arg ? arg : prog_name;

	switch (kind) {
	case FIREWALL_UI_ERROR:
		fprintf(stderr, "%s: %s\n", who, line);
		break;
	case FIREWALL_UI_WARNING:
		fprintf(stderr, "%s: warning: %s\n", who, line);
		break;
	case FIREWALL_UI_NOTICE:
		fprintf(stderr, "[!] %s\n", line);
		break;
	case FIREWALL_UI_QUICK_WARNING:
		fprintf(stderr, "Warning: %s\n", line);
		break;
	}
}

const struct firewall_ui cli_firewall_ui = {
	.window_open = prompt_open,
	.confirmed = prompt_confirmed,
	.progress = progress_line,
	.message = message_line,
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s firewall { show | confirm | rollback | flush } INTERFACE\n"
		"       %s firewall show CONFIG_FILE\n"
		"       %s firewall apply [--confirm-timeout SECS | --no-confirm] "
		"[--persist-sysctls] CONFIG_FILE | INTERFACE\n"
		"       %s firewall render CONFIG_FILE | INTERFACE\n"
		"       %s confirm INTERFACE\n\n"
		"  Rampart's firewall for INTERFACE is one nftables table, `table inet\n"
		"  rampart-INTERFACE'; no other table is touched.\n"
		"  show      the table, an open confirm window and the seconds left, the\n"
		"            snapshot that rollback restores, whether panic mode is on\n"
		"  confirm   keeps the change of an open confirm window\n"
		"  rollback  restores the table as it was before the last apply (during a\n"
		"            window: at once, without waiting for its deadline)\n"
		"  flush     deletes the table (and closes an open window)\n"
		"  apply     renders the config's [Policy] (or its role's defaults) and\n"
		"            applies it: checked first, one transaction, and from a terminal\n"
		"            or an SSH session a 60 s window to confirm in, else rolled back;\n"
		"            then the role's sysctls (--persist-sysctls: also in\n"
		"            /etc/sysctl.d/90-rampart-INTERFACE.conf)\n"
		"  render    prints the batch apply would apply, changing nothing\n"
		"  A CONFIG_FILE is named INTERFACE.conf; an INTERFACE alone means\n"
		"  /etc/wireguard/INTERFACE.conf. docs/firewall.md explains every rule.\n"
		"  State is kept in " FIREWALL_STATE_DIR "/INTERFACE.fw/.\n",
		prog_name, prog_name, prog_name, prog_name, prog_name);
}

/* CONFIG_FILE | INTERFACE as `rampart up` reads it: the path, the
 * interface and the parsed file.  0, or the exit status after saying
 * why. */
static int load(const char *arg, const char *who, char path[CONF_PATH_MAX],
		char ifname[CONF_IFNAME_MAX + 1], struct conf **conf)
{
	struct error err = { 0 };

	if (conf_config_path(arg, path, CONF_PATH_MAX)) {
		fprintf(stderr, "%s %s: `%s': path too long\n", prog_name, who, arg);
		return EXIT_USAGE;
	}
	if (!conf_ifname_from_path(path, ifname)) {
		fprintf(stderr, "%s %s: `%s': the config file must be a valid interface name, "
			"followed by .conf\n", prog_name, who, path);
		return EXIT_USAGE;
	}
	if (wgctl_load_conf(path, conf, &err)) {
		fprintf(stderr, "%s %s: %s\n", prog_name, who, err.msg);
		return EXIT_FAIL;
	}
	return 0;
}

static int fw_apply_main(int argc, char *argv[])
{
	char path[CONF_PATH_MAX], ifname[CONF_IFNAME_MAX + 1];
	struct error err;
	struct fwapply_opts o;
	struct conf *conf = NULL;
	bool kept = false;
	int n, ret;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	n = cli_apply_flags(argc, argv, true, &o);
	if (n < 0)
		return EXIT_USAGE;
	if (argc - n != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (geteuid()) {
		fprintf(stderr, "%s firewall apply: must be run as root\n", prog_name);
		return EXIT_FAIL;
	}
	ret = load(argv[n + 1], "firewall apply", path, ifname, &conf);
	if (ret)
		return ret;
	ret = fwapply_apply(ifname, conf, path, &o, &kept, &err);
	conf_free(conf);
	if (ret) {
		fprintf(stderr, "%s firewall apply: %s\n", prog_name, err.msg);
		return EXIT_FAIL;
	}
	if (!kept) {
		fprintf(stderr, "%s firewall apply: not kept: %s\n", prog_name, err.msg);
		return EXIT_FAIL;
	}
	return 0;
}

static int fw_render_main(int argc, char *argv[])
{
	char path[CONF_PATH_MAX], ifname[CONF_IFNAME_MAX + 1];
	struct error err;
	struct textbuf out = { 0 };
	struct conf *conf = NULL;
	int ret;

	if (argc != 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc == 2 ? stdout : stderr);
		return argc == 2 ? 0 : EXIT_USAGE;
	}
	ret = load(argv[1], "firewall render", path, ifname, &conf);
	if (ret)
		return ret;
	ret = fwapply_render(ifname, conf, path, &out, &err);
	conf_free(conf);
	if (ret) {
		fprintf(stderr, "%s firewall render: %s\n", prog_name, err.msg);
		textbuf_wipe(&out);
		return EXIT_FAIL;
	}
	fputs(out.buf, stdout);
	textbuf_wipe(&out);
	return fflush(stdout) ? EXIT_FAIL : 0;
}

/* The role's sysctls, if the interface's config can be read: the role
 * comes from it. */
static void print_sysctls(const char *ifname, const char *config)
{
	char path[CONF_PATH_MAX];
	struct error err;
	struct textbuf out = { 0 };
	struct conf *conf = NULL;
	bool ok;

	if (conf_config_path(config, path, sizeof(path)) ||
	    wgctl_load_conf(path, &conf, &err)) {
		printf("sysctls: unknown (no readable %s to take the role from)\n", path);
		return;
	}
	if (fwapply_report_sysctls(ifname, conf, path, &out, &ok, &err))
		printf("sysctls: %s\n", err.msg);
	else
		fputs(out.buf, stdout);
	textbuf_wipe(&out);
	conf_free(conf);
}

/* argv: CMD IF.  0 with the name checked, else the exit status. */
static int one_ifname(int argc, char *argv[], const char *who)
{
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return -1;
	}
	if (argc != 2) {
		fprintf(stderr, "Usage: %s %s INTERFACE\n", prog_name, who);
		return EXIT_USAGE;
	}
	if (!firewall_valid_ifname(argv[1])) {
		fprintf(stderr, "%s %s: invalid interface name `%s' (1 to 15 of [a-zA-Z0-9_.-], "
			"not `panic')\n", prog_name, who, argv[1]);
		return EXIT_USAGE;
	}
	return 0;
}

static void print_window(const struct firewall_state *st, const char *ifname)
{
	if (!st->pending) {
		if (st->last_window[0])
			printf("confirm window: none; the last one: %s\n", st->last_window);
		else
			printf("confirm window: none\n");
		return;
	}
	if (st->ms_left > 0)
		printf("confirm window: open, %lld s left of %u s (guard pid %ld%s); `%s confirm %s' "
		       "keeps the change, `%s firewall rollback %s' takes it back now\n",
		       (st->ms_left + 999) / 1000, st->window_secs, (long)st->guard,
		       st->guard_alive ? "" : ", gone", prog_name, ifname, prog_name, ifname);
	else if (st->guard_alive)
		printf("confirm window: expired %lld.%03lld s ago, not confirmed: being rolled back "
		       "(guard pid %ld)\n", -st->ms_left / 1000, -st->ms_left % 1000,
		       (long)st->guard);
	else
		printf("confirm window: expired %lld.%03lld s ago, not confirmed, and its guard (pid "
		       "%ld) is gone: `%s firewall rollback %s' rolls it back now (so does the next "
		       "apply or confirm)\n", -st->ms_left / 1000, -st->ms_left % 1000,
		       (long)st->guard, prog_name, ifname);
}

static void print_snapshot(const struct firewall_state *st)
{
	char when[64] = "at an unknown time";
	struct tm tm;

	if (!st->snapshot) {
		printf("snapshot: none (nothing applied since boot)\n");
		return;
	}
	if (st->snapshot_time && localtime_r(&st->snapshot_time, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", &tm);
	printf("snapshot: %s, taken %s: %s\n", st->snapshot_path, when,
	       st->snapshot_absent ? "there was no table before the last apply (rollback "
				     "deletes the table)" : "the table before the last apply");
}

static int fw_show_main(int argc, char *argv[])
{
	struct error err = { 0 };
	char table[FIREWALL_TABLE_STRLEN];
	char ifname[CONF_IFNAME_MAX + 1];
	const char *config = argc == 2 ? argv[1] : NULL;
	struct firewall_state st;
	struct textbuf list = { 0 };
	bool exists, panic;
	int ret;

	/* A path NAME.conf stands for interface NAME, its config read for
	 * the sysctl report (an interface name alone means
	 * /etc/wireguard/NAME.conf). */
	if (config && strchr(config, '/')) {
		if (!conf_ifname_from_path(config, ifname)) {
			fprintf(stderr, "%s firewall show: `%s': the config file must be a valid "
				"interface name, followed by .conf\n", prog_name, config);
			return EXIT_USAGE;
		}
		argv[1] = ifname;
	}
	ret = one_ifname(argc, argv, "firewall show");

	if (ret)
		return ret < 0 ? 0 : ret;
	if (firewall_table_name(table, argv[1]))
		return EXIT_USAGE;
	if (firewall_list_table(table, false, &list, &exists, &err)) {
		fprintf(stderr, "%s firewall show: %s\n", prog_name, err.msg);
		textbuf_wipe(&list);
		return EXIT_FAIL;
	}
	if (exists)
		fputs(list.buf, stdout);
	else
		printf("table inet %s: absent (no Rampart firewall on %s)\n", table, argv[1]);
	textbuf_wipe(&list);

	if (firewall_get_state(argv[1], &st, &err)) {
		fprintf(stderr, "%s firewall show: %s\n", prog_name, err.msg);
		return EXIT_FAIL;
	}
	print_window(&st, argv[1]);
	print_snapshot(&st);

	if (firewall_panic_active(&panic, &err)) {
		fprintf(stderr, "%s firewall show: %s\n", prog_name, err.msg);
		return EXIT_FAIL;
	}
	printf("panic: %s\n", panic ? "ON (table inet " FIREWALL_PANIC_TABLE " drops everything "
	       "but loopback and SSH; `rampart panic off' ends it)" : "off");

	print_sysctls(argv[1], config);

	return fflush(stdout) ? EXIT_FAIL : 0;
}

/* rampart confirm IF and rampart firewall confirm IF. */
static int do_confirm(int argc, char *argv[], const char *who)
{
	struct error err = { 0 };
	int ret = one_ifname(argc, argv, who);

	if (ret)
		return ret < 0 ? 0 : ret;
	if (firewall_confirm(argv[1], &err)) {
		fprintf(stderr, "%s %s: %s\n", prog_name, who, err.msg);
		return EXIT_FAIL;
	}
	fprintf(stderr, "%s %s: the firewall change on %s is kept\n", prog_name, who, argv[1]);
	return 0;
}

static int fw_confirm_main(int argc, char *argv[])
{
	return do_confirm(argc, argv, "firewall confirm");
}

int confirm_main(int argc, char *argv[])
{
	return do_confirm(argc, argv, "confirm");
}

static int fw_rollback_main(int argc, char *argv[])
{
	struct error err = { 0 };
	char table[FIREWALL_TABLE_STRLEN];
	bool window;
	int ret = one_ifname(argc, argv, "firewall rollback");

	if (ret)
		return ret < 0 ? 0 : ret;
	if (firewall_table_name(table, argv[1]))
		return EXIT_USAGE;
	if (firewall_rollback(argv[1], &window, &err)) {
		fprintf(stderr, "%s firewall rollback: %s\n", prog_name, err.msg);
		return EXIT_FAIL;
	}
	fprintf(stderr, "%s firewall rollback: table inet %s is back as it was before the last "
		"apply%s\n", prog_name, table, window ? " (the open confirm window is closed)" : "");
	return 0;
}

static int fw_flush_main(int argc, char *argv[])
{
	struct error err = { 0 };
	char table[FIREWALL_TABLE_STRLEN];
	bool window;
	int ret = one_ifname(argc, argv, "firewall flush");

	if (ret)
		return ret < 0 ? 0 : ret;
	if (firewall_table_name(table, argv[1]))
		return EXIT_USAGE;
	if (firewall_flush(argv[1], &window, &err)) {
		fprintf(stderr, "%s firewall flush: %s\n", prog_name, err.msg);
		return EXIT_FAIL;
	}
	fprintf(stderr, "%s firewall flush: table inet %s is gone%s\n", prog_name, table,
		window ? " (the open confirm window is closed)" : "");
	return 0;
}

static const struct subcommand {
	const char *name;
	int (*main)(int argc, char *argv[]);
} subcommands[] = {
	{ "show", fw_show_main },
	{ "confirm", fw_confirm_main },
	{ "rollback", fw_rollback_main },
	{ "flush", fw_flush_main },
	{ "apply", fw_apply_main },
	{ "render", fw_render_main },
};

int firewall_main(int argc, char *argv[])
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].main(argc - 1, argv + 1);
	fprintf(stderr, "%s firewall: invalid subcommand `%s'\n", prog_name, argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
