/* rampart events IFNAME [--follow] [--since T] [--config FILE] [--json]: the daemon's
 * recent events (src/daemon/events.h: handshakes, roaming, stale peers,
 * moved allowed IPs, load, failed handshakes, peers added, removed and
 * changed), oldest first, one per line:
 *
 *   2026-12-03T14:50:01.123Z event=handshake peer=KEY endpoint=... name=alice
 *
 * The text after the time is the daemon's own line, the one it logs;
 * name= is added from the config's "# Name = ..." comments (--config
 * FILE, else /etc/wireguard/IFNAME.conf when it exists).  --json
 * writes one JSON object per event and line (JSON Lines, so that
 * --follow streams), each value as the daemon wrote it, numbers as
 * numbers.  --since keeps the events at or after T: "90s", "15m", "2h",
 * "1d" ago, "@UNIXTIME" (a fraction allowed), or "YYYY-MM-DDTHH:MM:SS" (UTC, a trailing Z
 * allowed).  --follow then waits for new ones until interrupted.
 *
 * Exit status: 0; 1 when the daemon cannot be asked (or does not report
 * events: wireguard-go); 2 for a usage error. */
#define _GNU_SOURCE
#include "cli.h"

#include "common/encoding.h"
#include "common/textbuf.h"
#include "conf/config.h"
#include "ctl/socket.h"
#include "uapi/client.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { EXIT_FAIL = 1, EXIT_USAGE = 2, FOLLOW_POLL_MS = 250 };

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: %s events <interface> [--follow] [--since T] [--config FILE] [--json]\n",
		prog_name);
	if (f == stdout)
		fprintf(f, "\n  Prints the daemon's recent events, oldest first.  T is \"90s\", "
			   "\"15m\", \"2h\" or \"1d\"\n  ago, \"@UNIXTIME\", or "
			   "\"YYYY-MM-DDTHH:MM:SS\" (UTC).  --follow waits for more.\n");
}

/* T as Unix time in ns; false if it is not one of the forms above.
 * "@UNIXTIME" may have a fraction ("@1796287572.25"). */
static bool parse_since(const char *s, time_t now, int64_t *out)
{
	const int64_t ns = 1000000000;
	char *end;
	struct tm tm;
	long long v;

	if (s[0] == '@') {
		int64_t frac = 0, scale = ns;

		errno = 0;
		v = strtoll(s + 1, &end, 10);
		if (!s[1] || s[1] < '0' || s[1] > '9' || errno || v < 0 || v > INT64_MAX / ns - 1)
			return false;
		if (*end == '.') {
			for (end++; *end >= '0' && *end <= '9'; end++)
				if (scale > 1)
					frac += (*end - '0') * (scale /= 10);
			if (end[-1] == '.')
				return false;
		}
		if (*end)
			return false;
		*out = v * ns + frac;
		return true;
	}
	if (s[0] >= '0' && s[0] <= '9' && strchr(s, '-') == NULL) {
		static const struct {
			char unit;
			long long secs;
		} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno || v < 0 || v > 3650LL * 86400 || end[0] == '\0' || end[1] != '\0')
			return false;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (*end == units[i].unit) {
				*out = ((int64_t)now - v * units[i].secs) * ns;
				return true;
			}
		}
		return false;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || (*end && strcmp(end, "Z")))
		return false;
	*out = (int64_t)timegm(&tm) * ns;
	return true;
}

/* The value of key in the daemon's line ("key=value key=value"), into
 * buf; false if absent. */
static bool field(const char *text, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, ' '), p = p ? p + 1 : NULL) {
		if (!strncmp(p, key, klen) && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, " ");
			snprintf(buf, size, "%.*s", (int)n, p + klen + 1);
			return true;
		}
	}
	return false;
}

static const char *peer_name(const struct conf *names, const char *text)
{
	char b64[KEY_B64_LEN + 8];
	uint8_t key[KEY_LEN];
	const struct conf_peer *p;

	if (!names || !field(text, "peer", b64, sizeof(b64)) ||
	    !encoding_key_from_base64(key, b64))
		return NULL;
	p = conf_find_peer(names, key);
	return p && p->name[0] ? p->name : NULL;
}

static bool is_number(const char *s, size_t n)
{
	size_t i = 0, digits = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (i < n && s[i] == '.' && digits) {
		i++;
		if (i == n)
			return false;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	/* No leading zeros but "0" itself, as JSON wants. */
	return digits && i == n && !(s[0] == '0' && digits > 1);
}

static void json_event(struct textbuf *o, const char *ifname, const struct uapi_event *ev,
		       const char *name)
{
	char iso[40], tmp[512];
	struct tm tm;
	time_t t = (time_t)ev->sec;

	gmtime_r(&t, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S", &tm);
	textbuf_printf(o, "{\"interface\":");
	cli_json_string(o, ifname);
	textbuf_printf(o, ",\"seq\":%" PRIu64 ",\"time\":\"%s.%03uZ\",\"timestamp\":%" PRIu64
		       ".%09u", ev->seq, iso, ev->nsec / 1000000, ev->sec, ev->nsec);
	for (const char *p = ev->text; *p;) {
		size_t n = strcspn(p, " "), k = strcspn(p, "=");

		if (k < n) {
			snprintf(tmp, sizeof(tmp), "%.*s", (int)k, p);
			textbuf_append(o, ",", 1);
			cli_json_string(o, tmp);
			textbuf_append(o, ":", 1);
			if (is_number(p + k + 1, n - k - 1)) {
				textbuf_append(o, p + k + 1, n - k - 1);
			} else {
				snprintf(tmp, sizeof(tmp), "%.*s", (int)(n - k - 1), p + k + 1);
				cli_json_string(o, tmp);
			}
		}
		p += n;
		while (*p == ' ')
			p++;
	}
	if (name) {
		textbuf_printf(o, ",\"name\":");
		cli_json_string(o, name);
	}
	textbuf_printf(o, "}\n");
}

static void text_event(struct textbuf *o, const struct uapi_event *ev, const char *name)
{
	char iso[40];
	struct tm tm;
	time_t t = (time_t)ev->sec;

	gmtime_r(&t, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S", &tm);
	textbuf_printf(o, "%s.%03uZ %s", iso, ev->nsec / 1000000, ev->text);
	if (name) {
		textbuf_printf(o, " name=");
		/* A name is the operator's free text: quoted only if it
		 * needs it, so that the line stays key=value. */
		if (strpbrk(name, " \"\\"))
			cli_json_string(o, name);
		else
			textbuf_printf(o, "%s", name);
	}
	textbuf_printf(o, "\n");
}

struct events_opts {
	const char *ifname, *config;
	bool follow, json, has_since;
	int64_t since; /* Unix time, ns */
};

/* Prints what is after *seq and moves *seq on; 0 or the exit status. */
static int print_batch(const struct events_opts *o, const struct conf *names, uint64_t *seq,
		       bool first)
{
	struct uapi_events *evs = NULL;
	struct textbuf out = { 0 };
	struct error err = { 0 };

	if (wgctl_get_events(o->ifname, *seq, &evs, &err)) {
		fprintf(stderr, "%s events: %s: %s\n", prog_name, o->ifname, err.msg);
		return EXIT_FAIL;
	}
	/* Overwritten before we asked: only worth saying once we follow
	 * (at the start, the ring is simply what there is). */
	if (evs->lost && !first)
		fprintf(stderr, "%s events: %s: %" PRIu64 " event(s) were overwritten before they "
			"could be read\n", prog_name, o->ifname, evs->lost);
	for (size_t i = 0; i < evs->n; i++) {
		const struct uapi_event *ev = &evs->ev[i];

		if (o->has_since && (int64_t)ev->sec * 1000000000 + ev->nsec < o->since)
			continue;
		if (o->json)
			json_event(&out, o->ifname, ev, peer_name(names, ev->text));
		else
			text_event(&out, ev, peer_name(names, ev->text));
	}
	if (evs->next > *seq)
		*seq = evs->next;
	uapi_events_free(evs);
	if (out.len && !cli_write_out(&out))
		return EXIT_FAIL;
	textbuf_wipe(&out);
	fflush(stdout);
	return 0;
}

static int parse_args(int argc, char *argv[], struct events_opts *o)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--follow") || !strcmp(argv[i], "-f")) {
			o->follow = true;
		} else if (!strcmp(argv[i], "--json")) {
			o->json = true;
		} else if (!strcmp(argv[i], "--config")) {
			if (++i == argc) {
				fprintf(stderr, "%s events: --config needs a file\n", prog_name);
				return EXIT_USAGE;
			}
			o->config = argv[i];
		} else if (!strcmp(argv[i], "--since")) {
			if (++i == argc || !parse_since(argv[i], time(NULL), &o->since)) {
				fprintf(stderr, "%s events: --since: `%s': not 90s, 15m, 2h, 1d, "
					"@UNIXTIME or YYYY-MM-DDTHH:MM:SS\n", prog_name,
					i < argc ? argv[i] : "");
				return EXIT_USAGE;
			}
			o->has_since = true;
		} else if (argv[i][0] == '-' || o->ifname) {
			fprintf(stderr, "%s events: `%s': %s\n", prog_name, argv[i],
				argv[i][0] == '-' ? "unknown option" : "one interface only");
			usage(stderr);
			return EXIT_USAGE;
		} else {
			o->ifname = argv[i];
		}
	}
	if (!o->ifname) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return 0;
}

int events_main(int argc, char *argv[])
{
	struct events_opts o = { 0 };
	struct conf *names;
	uint64_t seq = 0;
	int ret;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;
	names = cli_peer_names("events", o.ifname, o.config);
	ret = print_batch(&o, names, &seq, true);
	if (!ret && o.follow) {
		struct sigaction sa = { .sa_handler = on_stop };
		const struct timespec poll_every = { 0, FOLLOW_POLL_MS * 1000000L };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		while (!stop && !ret) {
			nanosleep(&poll_every, NULL);
			if (!stop)
				ret = print_batch(&o, names, &seq, false);
		}
	}
	conf_free(names);
	return ret;
}
