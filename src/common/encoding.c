#include "encoding.h"

#include <string.h>

/* Branch-free character mapping: (lo - 1 - c) & (c - (hi + 1)) is negative
 * exactly when lo <= c <= hi, so ">> 8" turns a range test into an all-ones
 * or all-zero mask without a data-dependent branch or table lookup. */
#define IN_RANGE(c, lo, hi) ((((lo) - 1 - (c)) & ((c) - ((hi) + 1))) >> 8)

static char b64_char(unsigned v)
{
	int x = (int)v, diff = 'A';

	diff += ((25 - x) >> 8) & 6;   /* 26..51 -> 'a'..'z' */
	diff -= ((51 - x) >> 8) & 75;  /* 52..61 -> '0'..'9' */
	diff -= ((61 - x) >> 8) & 15;  /* 62 -> '+' */
	diff += ((62 - x) >> 8) & 3;   /* 63 -> '/' */
	return (char)(x + diff);
}

/* Returns 0..63, or -1 for a character outside the alphabet. */
static int b64_value(char ch)
{
	int c = (unsigned char)ch, ret = -1;

	ret += IN_RANGE(c, 'A', 'Z') & (c - 'A' + 1);
	ret += IN_RANGE(c, 'a', 'z') & (c - 'a' + 26 + 1);
	ret += IN_RANGE(c, '0', '9') & (c - '0' + 52 + 1);
	ret += IN_RANGE(c, '+', '+') & (62 + 1);
	ret += IN_RANGE(c, '/', '/') & (63 + 1);
	return ret;
}

void encoding_key_to_base64(char out[KEY_B64_LEN + 1], const uint8_t key[KEY_LEN])
{
	unsigned i;

	for (i = 0; i < KEY_LEN / 3; i++) {
		const uint8_t *k = key + 3 * i;
		out[4 * i + 0] = b64_char(k[0] >> 2);
		out[4 * i + 1] = b64_char(((k[0] & 3) << 4) | (k[1] >> 4));
		out[4 * i + 2] = b64_char(((k[1] & 15) << 2) | (k[2] >> 6));
		out[4 * i + 3] = b64_char(k[2] & 63);
	}
	/* 32 = 3 * 10 + 2: two bytes left, three characters and one '='. */
	out[40] = b64_char(key[30] >> 2);
	out[41] = b64_char(((key[30] & 3) << 4) | (key[31] >> 4));
	out[42] = b64_char((key[31] & 15) << 2);
	out[43] = '=';
	out[44] = '\0';
}

bool encoding_key_from_base64(uint8_t key[KEY_LEN], const char *b64)
{
	uint8_t tmp[KEY_LEN];
	int bad = 0;
	unsigned i;

	if (strlen(b64) != KEY_B64_LEN || b64[KEY_B64_LEN - 1] != '=')
		return false;
	for (i = 0; i < KEY_LEN / 3; i++) {
		int v0 = b64_value(b64[4 * i + 0]), v1 = b64_value(b64[4 * i + 1]);
		int v2 = b64_value(b64[4 * i + 2]), v3 = b64_value(b64[4 * i + 3]);
		bad |= v0 | v1 | v2 | v3; /* any -1 sets the sign bit */
		/* Shift as unsigned: an invalid character is -1 here and
		 * only its effect on bad matters. */
		tmp[3 * i + 0] = (uint8_t)(((unsigned)v0 << 2) | ((unsigned)v1 >> 4));
		tmp[3 * i + 1] = (uint8_t)(((unsigned)v1 << 4) | ((unsigned)v2 >> 2));
		tmp[3 * i + 2] = (uint8_t)(((unsigned)v2 << 6) | (unsigned)v3);
	}
	{
		int v0 = b64_value(b64[40]), v1 = b64_value(b64[41]);
		int v2 = b64_value(b64[42]);
		bad |= v0 | v1 | v2;
		bad |= -(v2 & 3); /* non-canonical: unused bits must be zero */
		tmp[30] = (uint8_t)(((unsigned)v0 << 2) | ((unsigned)v1 >> 4));
		tmp[31] = (uint8_t)(((unsigned)v1 << 4) | ((unsigned)v2 >> 2));
	}
	if (bad >= 0)
		memcpy(key, tmp, KEY_LEN);
	explicit_bzero(tmp, sizeof(tmp));
	return bad >= 0;
}

static char hex_char(unsigned n)
{
	int x = (int)n;
	return (char)('0' + x + (((9 - x) >> 8) & ('a' - '0' - 10)));
}

/* 0..15, or -1. */
static int hex_value(char ch)
{
	int c = (unsigned char)ch, ret = -1;

	ret += IN_RANGE(c, '0', '9') & (c - '0' + 1);
	ret += IN_RANGE(c, 'a', 'f') & (c - 'a' + 10 + 1);
	ret += IN_RANGE(c, 'A', 'F') & (c - 'A' + 10 + 1);
	return ret;
}

void encoding_key_to_hex(char out[KEY_HEX_LEN + 1], const uint8_t key[KEY_LEN])
{
	for (unsigned i = 0; i < KEY_LEN; i++) {
		out[2 * i] = hex_char(key[i] >> 4);
		out[2 * i + 1] = hex_char(key[i] & 15);
	}
	out[KEY_HEX_LEN] = '\0';
}

bool encoding_key_from_hex(uint8_t key[KEY_LEN], const char *hex)
{
	uint8_t tmp[KEY_LEN];
	int bad = 0;

	if (strlen(hex) != KEY_HEX_LEN)
		return false;
	for (unsigned i = 0; i < KEY_LEN; i++) {
		int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
		bad |= hi | lo;
		tmp[i] = (uint8_t)(((unsigned)hi << 4) | (unsigned)lo);
	}
	if (bad >= 0)
		memcpy(key, tmp, KEY_LEN);
	explicit_bzero(tmp, sizeof(tmp));
	return bad >= 0;
}

bool encoding_key_is_zero(const uint8_t key[KEY_LEN])
{
	unsigned acc = 0;

	for (unsigned i = 0; i < KEY_LEN; i++)
		acc |= key[i];
	/* acc - 1 underflows (sets bit 8) only when acc == 0. */
	return ((acc - 1) >> 8) & 1;
}
