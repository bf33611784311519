/* Helpers of nft.c for the rest of src/firewall (the public side of
 * nft.c is in firewall.h). */
#ifndef RAMPART_FIREWALL_NFT_H
#define RAMPART_FIREWALL_NFT_H

#include "common/compiler.h"
#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>

struct textbuf;

/* Whether list (nft's "list tables" output) has "table FAMILY NAME". */
bool nft_has_table(const char *list, const char *family, const char *name) warn_unused;
/* `nft list counters table inet NAME` appended to out; a table that does
 * not exist is no error: *exists false, nothing appended. */
int nft_list_counters(const char *name, struct textbuf *out, bool *exists,
		      struct error *err) warn_unused;
/* Deletes table inet `table` in one transaction; no error if absent. */
int nft_delete_table(const char *table, struct error *err) warn_unused;

#endif
