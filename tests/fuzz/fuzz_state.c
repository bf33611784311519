/* The up/down state file (/run/rampart/IFNAME.state, src/quick/quick.h):
 * rampart down trusts what it reads there to delete rules, routes and
 * tables, so the parser must refuse what it cannot write back.  The
 * differential: a state that parses formats (the formatter refuses only
 * what the parser should have refused), the text parses again, and
 * formatting that gives the same bytes (a fixed point). */
#include "quick/quick.h"
#include "common/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct quick_state a, b;
	struct error err;
	char *text, *text2;
	size_t len = 0, len2 = 0;

	memset(&err, 0, sizeof(err));
	if (quick_state_parse((const char *)data, size, &a, &err))
		return 0;
	text = quick_state_format(&a, &len);
	if (!text)
		abort(); /* read but cannot be written: the parser let it in */
	if (quick_state_parse(text, len, &b, &err))
		abort(); /* what we write, we read */
	text2 = quick_state_format(&b, &len2);
	if (!text2 || len2 != len || memcmp(text, text2, len))
		abort();
	if (a.n_rules != b.n_rules || a.n_addresses != b.n_addresses || a.n_routes != b.n_routes ||
	    a.ifindex != b.ifindex || a.fwmark != b.fwmark || a.moved != b.moved ||
	    a.uplink != b.uplink || a.nft[0] != b.nft[0] || a.nft[1] != b.nft[1])
		abort();
	free(text);
	free(text2);
	quick_state_uninit(&a);
	quick_state_uninit(&b);
	return 0;
}
