/* The inventory's names for states and its checks of names and text. */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[INV_STATE_COUNT] = {
	[INV_PENDING] = "pending",
	[INV_ACTIVE] = "active",
	[INV_DISABLED] = "disabled",
	[INV_REVOKED] = "revoked",
	[INV_EXPIRED] = "expired",
};

const char *inv_state_name(enum inv_state s)
{
	if ((unsigned)s >= INV_STATE_COUNT)
		return NULL;
	return state_names[s];
}

bool inv_state_parse(const char *name, enum inv_state *out)
{
	for (unsigned i = 0; i < INV_STATE_COUNT; i++) {
		if (!strcmp(name, state_names[i])) {
			*out = (enum inv_state)i;
			return true;
		}
	}
	return false;
}

bool inv_valid_name(const char *s, const char **why)
{
	size_t n = strlen(s);

	if (n == 0) {
		*why = "a name may not be empty";
		return false;
	}
	if (n > INV_NAME_MAX) {
		*why = "a name has at most 63 characters";
		return false;
	}
	/* A leading '-' would read as an option, a leading '.' as a hidden
	 * file when a name becomes a file name (NAME.conf, NAME.png). */
	if (s[0] == '-' || s[0] == '.') {
		*why = "a name may not start with '-' or '.'";
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
			*why = "a name has only letters, digits, '.', '_' and '-'";
			return false;
		}
	}
	return true;
}

bool inv_valid_text(const char *s, const char **why)
{
	size_t n = strlen(s);

	if (n > INV_TEXT_MAX) {
		*why = "text has at most 255 bytes";
		return false;
	}
	/* Control characters would forge lines in `list` and the log, and
	 * escapes would reach the operator's terminal. */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f) {
			*why = "text may not hold control characters";
			return false;
		}
	}
	return true;
}

static int cmp_hub(const void *a, const void *b)
{
	return strcmp(a, b);
}

bool inv_parse_hubs(struct inv_peer *p, const char *list)
{
	p->n_hubs = 0;
	while (list && *list) {
		size_t len = strcspn(list, ",");

		if (p->n_hubs == INV_HUBS_MAX || !len || len >= IFNAMSIZ)
			return false;
		snprintf(p->hubs[p->n_hubs++], IFNAMSIZ, "%.*s", (int)len, list);
		list += len + (list[len] == ',');
	}
	qsort(p->hubs, p->n_hubs, sizeof(p->hubs[0]), cmp_hub);
	return true;
}
