#include "array.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int array_grow(void **arr, size_t *cap, size_t n, size_t size, size_t max)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	if (n >= max)
		return -E2BIG;
	ncap = *cap ? *cap * 2 : 4;
	if (ncap > max)
		ncap = max;
	p = calloc(ncap, size);
	if (!p)
		return -ENOMEM;
	if (*arr) {
		memcpy(p, *arr, n * size);
		explicit_bzero(*arr, n * size);
		free(*arr);
	}
	*arr = p;
	*cap = ncap;
	return 0;
}
