/* Connection strings (conninfo.h).  libpq is the judge of what a string
 * means: it tells settings from a path (PQconninfoParse), and the
 * password it would send is what must never be shown.  The URI is shown
 * as the operator wrote it, less the secret parts, and then checked
 * against libpq's own reading of both strings; when that check fails
 * the settings are shown as libpq read them instead, which by
 * construction carry no secret. */
#include "conninfo.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

static const char *const uri_schemes[] = { "postgresql://", "postgres://" };

static size_t scheme_len(const char *s)
{
	for (size_t i = 0; i < sizeof(uri_schemes) / sizeof(uri_schemes[0]); i++)
		if (!strncmp(s, uri_schemes[i], strlen(uri_schemes[i])))
			return strlen(uri_schemes[i]);
	return 0;
}

static bool secret(const char *keyword)
{
	return !strcmp(keyword, "password") || !strcmp(keyword, "sslpassword");
}

/* libpq's reading of s, or NULL when it cannot read it. */
static PQconninfoOption *parse(const char *s)
{
	char *msg = NULL;
	PQconninfoOption *o = PQconninfoParse(s, &msg);

	PQfreemem(msg); /* it may quote s */
	return o;
}

/* Settings start with a keyword libpq knows and '=': libpq itself says
 * whether the word is one of its keywords (it refuses "foo=" and reads
 * "host="), so that settings it cannot read all the same go to it and
 * fail there, rather than become an SQLite file of that name. */
bool inv_conninfo_is_pg(const char *db)
{
	char word[40];
	size_t n;
	PQconninfoOption *o;

	if (scheme_len(db))
		return true;
	db += strspn(db, " \t\n\r\f\v");
	n = strspn(db, "abcdefghijklmnopqrstuvwxyz_");
	if (!n || n + 2 > sizeof(word) || db[n + strspn(db + n, " \t\n\r\f\v")] != '=')
		return false;
	snprintf(word, sizeof(word), "%.*s=", (int)n, db);
	o = parse(word);
	PQconninfoFree(o);
	return o != NULL;
}

/* An output buffer that cuts what does not fit. */
struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (!o->size)
		return;
	while (n-- && o->len + 1 < o->size)
		o->buf[o->len++] = *s++;
	o->buf[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* The settings libpq read, secrets left out: "host=/run/pg dbname=x",
 * a value with a space, a quote or a backslash quoted as libpq quotes. */
static void rebuild(const PQconninfoOption *opts, struct out *o)
{
	bool first = true;

	o->len = 0;
	put(o, "", 0);
	for (const PQconninfoOption *i = opts; i->keyword; i++) {
		bool quote;

		if (!i->val || secret(i->keyword))
			continue;
		quote = !*i->val || strpbrk(i->val, " \t\n'\\");
		if (!first)
			puts_(o, " ");
		first = false;
		puts_(o, i->keyword);
		puts_(o, quote ? "='" : "=");
		for (const char *c = i->val; *c; c++) {
			if (quote && (*c == '\'' || *c == '\\'))
				puts_(o, "\\");
			put(o, c, 1);
		}
		if (quote)
			puts_(o, "'");
	}
}

static int hex(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

/* Whether the URI parameter name k (n bytes) is a secret keyword once
 * its %XX escapes are decoded, as libpq decodes it. */
static bool secret_param(const char *k, size_t n)
{
	char name[32];
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		char c = k[i];

		if (c == '%' && i + 2 < n && isxdigit((unsigned char)k[i + 1]) &&
		    isxdigit((unsigned char)k[i + 2])) {
			c = (char)(hex(k[i + 1]) * 16 + hex(k[i + 2]));
			i += 2;
		}
		if (len + 1 == sizeof(name))
			return false; /* longer than any keyword */
		name[len++] = c;
	}
	name[len] = '\0';
	return secret(name);
}

/* The last '@' in [p, end), or NULL. */
static const char *last_at(const char *p, const char *end)
{
	const char *at = NULL;

	for (; p < end; p++)
		if (*p == '@')
			at = p;
	return at;
}

/* postgresql://[user[:password]@][hosts][/dbname][?key=value&...]: libpq
 * ends the user part at the first '@' before the first '/'.  Here it ends
 * at the last '@' before the first '?', else before the first '/', so that
 * a password with an unescaped '@', '/' or '?' is cut whole.  The
 * parameters begin at the first '?' after it. */
static void redact_uri(const char *db, size_t scheme, struct out *o)
{
	const char *p = db + scheme, *at, *q;
	char sep = '?';

	at = last_at(p, p + strcspn(p, "?"));
	if (!at)
		at = last_at(p, p + strcspn(p, "/"));
	put(o, db, scheme);
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));

		put(o, p, (size_t)((colon ? colon : at) - p));
		p = at;
	}
	q = strchr(p, '?');
	put(o, p, q ? (size_t)(q - p) : strlen(p));
	if (!q)
		return;
	for (q++; *q;) {
		size_t n = strcspn(q, "&"), k = strcspn(q, "=");

		if (!secret_param(q, k < n ? k : n)) {
			put(o, &sep, 1);
			put(o, q, n);
			sep = '&';
		}
		q += n + (q[n] == '&');
	}
}

/* Whether shown still gives away a secret of the original (orig): libpq
 * reads a password in it, or a password's text appears in it. */
static bool leaks(const char *shown, const PQconninfoOption *orig)
{
	PQconninfoOption *o = parse(shown);
	bool bad = !o;

	for (PQconninfoOption *i = o; i && i->keyword; i++)
		bad = bad || (secret(i->keyword) && i->val);
	PQconninfoFree(o);
	for (const PQconninfoOption *i = orig; !bad && i->keyword; i++)
		bad = secret(i->keyword) && i->val && *i->val && strstr(shown, i->val);
	return bad;
}

const char *inv_conninfo_redact(const char *db, char *out, size_t size)
{
	struct out o = { out, size, 0 };
	size_t scheme = scheme_len(db);
	PQconninfoOption *opts;

	put(&o, "", 0);
	if (!inv_conninfo_is_pg(db)) {
		puts_(&o, db);
		return out;
	}
	opts = parse(db);
	if (!opts) {
		puts_(&o, "(a PostgreSQL connection string that libpq cannot read, not shown)");
		return out;
	}
	if (scheme) {
		redact_uri(db, scheme, &o);
		if (leaks(out, opts))
			rebuild(opts, &o);
	} else {
		rebuild(opts, &o);
	}
	PQconninfoFree(opts);
	return out;
}
