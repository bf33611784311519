/* One small test harness for Rampart's C tests.
 *
 * A test binary lists its cases in a table and calls harness_main().  Every
 * case is numbered; each prints "ok N name" or "not ok N name", and the
 * binary ends with "N passed, N failed" (tests/run.sh adds these up for the
 * whole suite).  CHECK() records a failure and carries on, so one run shows
 * every broken assertion of a case. */
#ifndef RAMPART_TESTS_HARNESS_H
#define RAMPART_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct harness_case {
	const char *name;
	void (*fn)(void);
};

/* Failures seen in the running case. */
extern unsigned harness_failures;

void harness_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond))                                               \
			harness_fail(__FILE__, __LINE__, "%s", #cond);     \
	} while (0)

#define CHECK_MSG(cond, ...)                                               \
	do {                                                               \
		if (!(cond))                                               \
			harness_fail(__FILE__, __LINE__, __VA_ARGS__);     \
	} while (0)

#define CHECK_MEM(a, b, n)                                                 \
	do {                                                               \
		if (!harness_mem_eq(__FILE__, __LINE__, #a, (a), (b), (n)))\
			harness_failures++;                                \
	} while (0)

#define CHECK_STR(a, b)                                                    \
	do {                                                               \
		if (!harness_str_eq(__FILE__, __LINE__, (a), (b)))         \
			harness_failures++;                                \
	} while (0)

bool harness_mem_eq(const char *file, int line, const char *what,
		    const void *a, const void *b, size_t n);
bool harness_str_eq(const char *file, int line, const char *a, const char *b);

/* Runs every case (or those whose name contains argv[1]) and returns the
 * process exit status: 0 when nothing failed. */
int harness_main(const struct harness_case *cases, size_t n, int argc,
		 char *argv[]);

#define HARNESS_MAIN(cases)                                                \
	int main(int argc, char *argv[])                                   \
	{                                                                  \
		return harness_main(cases, sizeof(cases) / sizeof(cases[0]), \
				    argc, argv);                           \
	}

/* Test vectors live in tests/vectors/NAME.txt as records of "field = hex"
 * lines separated by blank lines; '#' starts a comment.  A field written
 * as "field = \"text\"" holds ASCII text instead of hex.  Values may be
 * continued on following lines that start with whitespace. */
#define VEC_MAX_FIELDS 32

struct vec_field {
	char name[32];
	uint8_t *data; /* decoded bytes, owned by the record */
	size_t len;
};

struct vec_record {
	unsigned line; /* line where the record starts, for messages */
	size_t n;
	struct vec_field f[VEC_MAX_FIELDS];
};

struct vec_file;

/* Opens tests/vectors/NAME (relative to $RAMPART_TOP or the current
 * directory); a missing or malformed file fails the running case. */
struct vec_file *vec_open(const char *name);
/* Next record, or false at the end.  The record is valid until the next
 * call. */
bool vec_next(struct vec_file *vf, struct vec_record *rec);
/* Field by name, or NULL (a missing field fails the running case unless
 * vec_has() was asked first). */
const struct vec_field *vec_get(const struct vec_record *rec, const char *name);
bool vec_has(const struct vec_record *rec, const char *name);
void vec_close(struct vec_file *vf);

/* Hex to bytes into a new buffer; fails the case on bad hex. */
uint8_t *harness_unhex(const char *hex, size_t *len);
/* Reads a whole file relative to $RAMPART_TOP; NULL (and a failure) if it
 * cannot. */
char *harness_slurp(const char *path, size_t *len);

#endif
