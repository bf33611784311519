/* The wg-quick config parser with Rampart's keys ([Policy] too), and its
 * differential: what parses is formatted, and the formatted text parses
 * again to an equal conf and formats to the same bytes (a fixed point).
 * wgconf_strip must agree with the parser on what is valid. */
#include "conf/config.h"
#include "conf/wgconf.h"
#include "common/error.h"
#include "firewall/policykeys.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool registered;
	struct conf *a = NULL, *b = NULL;
	struct error err;
	char *text, *text2, *stripped;
	size_t len, len2, slen;
	int ra, rs;

	if (!registered) {
		if (policykeys_register())
			abort();
		registered = true;
	}
	memset(&err, 0, sizeof(err));
	ra = wgconf_parse((const char *)data, size, "fuzz.conf", &a, &err);
	rs = wgconf_strip((const char *)data, size, "fuzz.conf", &stripped, &slen, &err);
	if ((ra == 0) != (rs == 0))
		abort(); /* strip validates exactly as parse does */
	if (rs == 0)
		wgconf_text_free(stripped, slen);
	if (ra)
		return 0;
	text = wgconf_format(a, WGCONF_FULL, &len);
	if (text) {
		if (wgconf_parse(text, len, "formatted.conf", &b, &err))
			abort(); /* what we write, we read */
		if (!conf_equal(a, b))
			abort();
		text2 = wgconf_format(b, WGCONF_FULL, &len2);
		if (!text2 || len2 != len || memcmp(text, text2, len))
			abort();
		wgconf_text_free(text2, len2);
		conf_free(b);
		wgconf_text_free(text, len);
	}
	conf_free(a);
	return 0;
}
