/* firewall_check_scope: a Rampart batch stays in its own table.  Pure. */
#include "firewall.h"

#include "common/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* --- the batch stays in our table -------------------------------------------- */

static bool is_family(const char *w)
{
	static const char *const f[] = { "ip", "ip6", "inet", "arp", "bridge", "netdev" };

	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		if (!strcmp(w, f[i]))
			return true;
	return false;
}

/* One top-level statement's leading words (w[0..n)); line is where it
 * starts.  0 if it stays in table inet `table`. */
static int check_statement(char w[][32], size_t n, unsigned line, const char *table, struct error *err)
{
	static const char *const verbs[] = { "add", "create", "delete", "destroy", "flush",
					     "insert", "replace", "reset" };
	static const char *const objects[] = { "table", "chain", "rule", "set", "map",
					       "element", "counter", "quota", "limit",
					       "flowtable", "secmark", "synproxy" };
	size_t at = 0;
	bool verb = false, obj = false;

	if (!n || !strcmp(w[0], "define") || !strcmp(w[0], "redefine") ||
	    !strcmp(w[0], "undefine"))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		if (!strcmp(w[0], verbs[i]))
			verb = true;
	if (verb) {
		at = 1;
		if (n > 1 && !strcmp(w[1], "ct"))
			at = 2; /* "add ct helper|timeout|expectation inet T NAME" */
		if (n > at) {
			for (size_t i = 0; i < ARRAY_SIZE(objects); i++)
				if (!strcmp(w[at], objects[i]))
					obj = true;
			if (at == 2)
				obj = !strcmp(w[2], "helper") || !strcmp(w[2], "timeout") ||
				      !strcmp(w[2], "expectation");
		}
		at++;
	} else if (!strcmp(w[0], "table")) {
		obj = true;
		at = 1;
	}
	if (obj && n > at + 1 && !strcmp(w[at], "inet") && !strcmp(w[at + 1], table))
		return 0;
	if (obj && n > at + 1 && is_family(w[at]))
		return error_fail(err, -EINVAL,
			    "line %u: \"%s %s\" is not table inet %s; a Rampart batch touches no "
			    "other table", line, w[at], w[at + 1], table);
	if (obj)
		return error_fail(err, -EINVAL,
			    "line %u: \"%s%s%s\" names no family: write \"inet %s\" (a Rampart "
			    "batch touches no other table)", line, w[0], at > 1 ? " " : "",
			    at > 1 ? w[at - 1] : "", table);
	return error_fail(err, -EINVAL,
		    "line %u: \"%s%s%s\" is not confined to table inet %s; a Rampart batch "
		    "touches no other table", line, w[0], n > 1 ? " " : "", n > 1 ? w[1] : "", table);
}

/* Every top-level statement (ended by a newline or ';' outside braces;
 * quoted strings and comments skipped) must name table inet `table`. */
int firewall_check_scope(const char *batch, const char *table, struct error *err)
{
	char w[6][32];
	size_t n = 0;
	unsigned line = 1, start = 1;
	int depth = 0, ret;
	bool words = true; /* before the statement's first brace or string */
	const char *p = batch;

	for (;;) {
		char c = *p;

		if (c == '#') {
			p += strcspn(p, "\n");
			continue;
		}
		if (c == '"') {
			size_t len = strcspn(p + 1, "\"\n");

			if (p[1 + len] != '"')
				return error_fail(err, -EINVAL, "line %u: unterminated string", line);
			p += len + 2;
			words = false;
			continue;
		}
		if (c == '{' || c == '}') {
			if (c == '}' && !depth)
				return error_fail(err, -EINVAL, "line %u: unbalanced '}'", line);
			depth += c == '{' ? 1 : -1;
			words = false;
			p++;
			continue;
		}
		if (!c || ((c == '\n' || c == ';') && !depth)) {
			if (n) {
				ret = check_statement(w, n, start, table, err);
				if (ret)
					return ret;
			}
			n = 0;
			words = true;
			if (!c)
				break;
		}
		if (c == '\n')
			line++;
		if (strchr(" \t\r\n;", c)) {
			p++;
			continue;
		}
		size_t len = strcspn(p, " \t\r\n;{}\"#");

		if (!depth && words) {
			if (!n)
				start = line;
			if (n < ARRAY_SIZE(w))
				snprintf(w[n++], sizeof(w[0]), "%.*s", (int)len, p);
		}
		p += len;
	}
	if (depth)
		return error_fail(err, -EINVAL, "unbalanced '{': the batch ends inside a block");
	return 0;
}
