/* The fuzz smoke run's negative control (tests/fuzz/smoke.sh): a target
 * that fails on purpose on the inputs the smoke run gives it, so that the
 * run is shown to catch each way a target can fail.  "abort" aborts (a
 * crash), "leak" leaks (LeakSanitizer), "overflow" reads past its input
 * (AddressSanitizer); anything else passes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 5 && !memcmp(data, "abort", 5))
		abort();
	if (size == 4 && !memcmp(data, "leak", 4)) {
		char *p = malloc(64);

		if (p)
			p[0] = 1;
		sink = (uint8_t)(uintptr_t)p; /* the pointer is dropped: a leak */
	}
	if (size == 8 && !memcmp(data, "overflow", 8))
		sink = data[size]; /* one byte past the input */
	return 0;
}
