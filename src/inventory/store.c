/* The store's seam (store.h): the backend a --db string names
 * (conninfo.h), and what both backends share. */
#include "store.h"

#include "conninfo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int inv_store_open(const char *db, struct inv_store **out, struct error *err)
{
	return inv_conninfo_is_pg(db) ? inv_store_open_pg(db, out, err)
				      : inv_store_open_sqlite(db, out, err);
}

int inv_store_open_readonly(const char *db, struct inv_store **out, struct error *err)
{
	return inv_conninfo_is_pg(db) ? inv_store_open_pg_readonly(db, out, err)
				      : inv_store_open_sqlite_readonly(db, out, err);
}

bool inv_store_absent(const char *db)
{
	struct stat sb;

	return !inv_conninfo_is_pg(db) && stat(db, &sb) != 0;
}

void inv_names_free(char **names, size_t n)
{
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

/* -EEXIST naming the peer that holds key (as its key or its next key). */
static int key_taken(struct inv_store *s, const char *where, const uint8_t key[KEY_LEN],
		     int64_t self, struct error *err)
{
	struct inv_peer other;
	bool found;
	int r = s->ops->find_key(s, key, &other, &found, err);

	if (r && r != -ENOENT)
		return r;
	if (found && other.id != self)
		return error_fail(err, -EEXIST, "%s: the key is already peer %s's on %s (%s)",
				  where, other.name, other.iface, inv_state_name(other.state));
	return 0;
}

int inv_store_check_unique(struct inv_store *s, const char *where, const struct inv_peer *p,
			   struct error *err)
{
	struct inv_peer other;
	bool found;
	int r;

	if (!p->id) {
		r = s->ops->find_peer(s, p->iface, p->name, &other, &found, err);
		if (r && r != -ENOENT)
			return r;
		if (found)
			return error_fail(err, -EEXIST, "%s: the name %s is taken on %s", where,
					  p->name, p->iface);
	}
	r = key_taken(s, where, p->public_key, p->id, err);
	if (!r && p->has_next_key)
		r = key_taken(s, where, p->next_key, p->id, err);
	return r;
}

int inv_store_hub_peers(struct inv_store *s, const char *hub, struct inv_peer **out, size_t *n,
			struct error *err)
{
	struct inv_peer *share = NULL, *v;
	size_t m = 0;
	int r = s->ops->list_peers(s, hub, out, n, err);

	if (!r)
		r = s->ops->list_peer_set(s, INV_SET_SHARE, hub, &share, &m, err);
	v = r ? NULL : realloc(*out, (*n + m + 1) * sizeof(*v));
	if (!r && !v)
		r = error_fail(err, -ENOMEM, "out of memory");
	for (size_t k = 0; !r && k < m; k++)
		if (strcmp(share[k].iface, hub))
			v[(*n)++] = share[k];
	if (v)
		*out = v;
	free(share);
	if (r) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return r;
}
