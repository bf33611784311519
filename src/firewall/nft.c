/* The firewall's side of nftables: table names, checking and running a
 * batch, listing a table (sys/nftables.c does the talking). */
#include "firewall.h"
#include "nft.h"

#include "conf/config.h"
#include "sys/nftables.h"
#include "common/error.h"
#include "common/textbuf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* --- names ----------------------------------------------------------------- */

bool firewall_valid_ifname(const char *ifname)
{
	if (!conf_valid_ifname(ifname) || !strcmp(ifname, "panic"))
		return false;
	return !strpbrk(ifname, "=+");
}

int firewall_table_name(char buf[FIREWALL_TABLE_STRLEN], const char *ifname)
{
	if (!firewall_valid_ifname(ifname))
		return -EINVAL;
	snprintf(buf, FIREWALL_TABLE_STRLEN, FIREWALL_TABLE_PREFIX "%s", ifname);
	return 0;
}

/* A table name we are willing to splice into a command: what nft 1.0.6
 * reads as an unquoted identifier, conservatively. */
static bool valid_table_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= FIREWALL_TABLE_STRLEN + 16)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
		return false;
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_.-", *s)))
			return false;
	}
	return true;
}

/* --- talking to nftables ---------------------------------------------------- */

int firewall_check(const char *batch, struct error *err)
{
	return nftables_exec(batch, true, 0, NULL, 0, err);
}

int firewall_run(const char *batch, struct error *err)
{
	return nftables_exec(batch, false, 0, NULL, 0, err);
}

/* Whether `list` (nft's "list tables" output) has "table FAMILY NAME". */
bool nft_has_table(const char *list, const char *family, const char *name)
{
	size_t fl = strlen(family), nl = strlen(name);

	for (const char *l = list; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		size_t len = strcspn(l, "\n");

		while (len && strchr(" \t\r", l[len - 1]))
			len--;
		if (len == 6 + fl + 1 + nl && !strncmp(l, "table ", 6) &&
		    !strncmp(l + 6, family, fl) && l[6 + fl] == ' ' &&
		    !strncmp(l + 7 + fl, name, nl))
			return true;
	}
	return false;
}

/* `list WHAT inet NAME` ("table", "counters table") appended to out; a
 * table that does not exist is *exists false and no error. */
static int list_in_table(const char *what, const char *name, unsigned flags, struct textbuf *out,
			 bool *exists, struct error *err)
{
	char cmd[128];
	struct error first;
	struct textbuf tables = { 0 };
	int ret;

	*exists = false;
	if (!valid_table_name(name))
		return error_fail(err, -EINVAL, "\"%s\" is not a table name", name);
	snprintf(cmd, sizeof(cmd), "list %s inet %s\n", what, name);
	ret = nftables_exec(cmd, false, flags, out, 0, &first);
	if (!ret) {
		*exists = true;
		return 0;
	}
	/* nft says "No such file or directory" for a missing table, and for
	 * other things too: ask for the list of tables to be sure. */
	if (nftables_exec("list tables inet\n", false, 0, &tables, 0, err) == 0 &&
	    !nft_has_table(tables.buf, "inet", name)) {
		textbuf_wipe(&tables);
		return 0;
	}
	textbuf_wipe(&tables);
	return error_fail(err, ret, "%s", first.msg);
}

int firewall_list_table(const char *name, bool stateless, struct textbuf *out, bool *exists,
			struct error *err)
{
	return list_in_table("table", name, stateless ? NFTABLES_OUTPUT_STATELESS : 0, out, exists,
			     err);
}

int nft_list_counters(const char *name, struct textbuf *out, bool *exists, struct error *err)
{
	return list_in_table("counters table", name, 0, out, exists, err);
}

int firewall_list_ruleset(struct textbuf *out, struct error *err)
{
	return nftables_exec("list ruleset\n", false, 0, out, 0, err);
}

int nft_delete_table(const char *table, struct error *err)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "add table inet %s\ndelete table inet %s\n", table, table);
	return firewall_run(cmd, err);
}
