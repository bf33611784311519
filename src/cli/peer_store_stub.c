/* Stand-ins for the SQLite store (src/inventory/store_sqlite.c) until it
 * lands, so that rampart links; weak, so that the store's definitions win
 * once they are linked in, and this file goes then.  Opening the store
 * says it is not there. */
#include "inventory/store.h"

#include <errno.h>
#include <stdlib.h>

__attribute__((weak)) int inv_store_open_sqlite(const char *path, struct inv_store **out,
						struct error *err)
{
	*out = NULL;
	return error_fail(err, -ENOSYS, "%s: this rampart has no inventory store yet", path);
}

__attribute__((weak)) void inv_names_free(char **names, size_t n)
{
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}
