#include "harness.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned harness_failures;
static const char *current_case;

void harness_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  FAIL %s: %s:%d: ", current_case ? current_case : "?",
		file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	harness_failures++;
}

static void dump_hex(const char *label, const uint8_t *p, size_t n)
{
	fprintf(stderr, "    %s: ", label);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%02x", p[i]);
	fputc('\n', stderr);
}

bool harness_mem_eq(const char *file, int line, const char *what,
		    const void *a, const void *b, size_t n)
{
	if (memcmp(a, b, n) == 0)
		return true;
	fprintf(stderr, "  FAIL %s: %s:%d: %s differs\n",
		current_case ? current_case : "?", file, line, what);
	dump_hex("got ", a, n);
	dump_hex("want", b, n);
	return false;
}

bool harness_str_eq(const char *file, int line, const char *a, const char *b)
{
	if (a && b && strcmp(a, b) == 0)
		return true;
	fprintf(stderr, "  FAIL %s: %s:%d:\n    got  \"%s\"\n    want \"%s\"\n",
		current_case ? current_case : "?", file, line,
		a ? a : "(null)", b ? b : "(null)");
	return false;
}

int harness_main(const struct harness_case *cases, size_t n, int argc,
		 char *argv[])
{
	unsigned passed = 0, failed = 0, num = 0;
	const char *filter = argc > 1 ? argv[1] : NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < n; i++) {
		if (filter && !strstr(cases[i].name, filter))
			continue;
		num++;
		current_case = cases[i].name;
		harness_failures = 0;
		cases[i].fn();
		fflush(stderr);
		if (harness_failures == 0) {
			printf("ok %u %s\n", num, cases[i].name);
			passed++;
		} else {
			printf("not ok %u %s (%u failures)\n", num,
			       cases[i].name, harness_failures);
			failed++;
		}
	}
	current_case = NULL;
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}

/* --- files and vectors ------------------------------------------------- */

char *harness_slurp(const char *path, size_t *len)
{
	const char *top = getenv("RAMPART_TOP");
	char full[4096];
	FILE *f;
	char *buf = NULL;
	size_t cap = 0, n = 0;

	snprintf(full, sizeof(full), "%s%s%s", top ? top : "", top ? "/" : "",
		 path);
	f = fopen(full, "rb");
	if (!f) {
		harness_fail(__FILE__, __LINE__, "cannot open %s", full);
		return NULL;
	}
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

uint8_t *harness_unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex);
	uint8_t *out = malloc(n / 2 + 1);

	if (!out)
		abort();
	if (n % 2) {
		harness_fail(__FILE__, __LINE__, "odd-length hex \"%s\"", hex);
		*len = 0;
		return out;
	}
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			harness_fail(__FILE__, __LINE__, "bad hex \"%s\"", hex);
			*len = 0;
			return out;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return out;
}

struct vec_file {
	char *text;
	char *pos;
	unsigned line;
	char name[128];
	struct vec_record *last; /* cleared by vec_close */
};

struct vec_file *vec_open(const char *name)
{
	char path[512];
	struct vec_file *vf = calloc(1, sizeof(*vf));

	if (!vf)
		abort();
	snprintf(path, sizeof(path), "tests/vectors/%s", name);
	snprintf(vf->name, sizeof(vf->name), "%s", name);
	vf->text = harness_slurp(path, NULL);
	vf->pos = vf->text;
	vf->line = 0;
	return vf;
}

static void rec_clear(struct vec_record *rec)
{
	for (size_t i = 0; i < rec->n; i++)
		free(rec->f[i].data);
	rec->n = 0;
}

/* Appends the value text (hex digits or a quoted string) to a growing
 * buffer. */
static void append(char **buf, size_t *len, size_t *cap, const char *s,
		   size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*buf = realloc(*buf, *cap);
		if (!*buf)
			abort();
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static char *next_line(struct vec_file *vf)
{
	char *s = vf->pos, *e;

	if (!s || !*s)
		return NULL;
	e = strchr(s, '\n');
	if (e) {
		*e = '\0';
		vf->pos = e + 1;
	} else {
		vf->pos = s + strlen(s);
	}
	vf->line++;
	return s;
}

static void strip_comment(char *s)
{
	bool quoted = false;

	for (; *s; s++) {
		if (*s == '"')
			quoted = !quoted;
		else if (*s == '#' && !quoted) {
			*s = '\0';
			return;
		}
	}
}

bool vec_next(struct vec_file *vf, struct vec_record *rec)
{
	char *line;
	char *val = NULL;
	size_t vlen = 0, vcap = 0;
	bool text = false;

	rec_clear(rec);
	vf->last = rec;
	if (!vf->text)
		return false;
	for (;;) {
		line = next_line(vf);
		if (!line)
			break;
		strip_comment(line);
		bool cont = line[0] == ' ' || line[0] == '\t';
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = strlen(p);
		while (n && isspace((unsigned char)p[n - 1]))
			p[--n] = '\0';
		if (!n) {
			if (rec->n)
				break;
			continue;
		}
		if (cont && rec->n) {
			append(&val, &vlen, &vcap, p, n);
			continue;
		}
		char *eq = strchr(p, '=');
		if (!eq) {
			harness_fail(__FILE__, __LINE__, "%s:%u: no '=' in \"%s\"",
				     vf->name, vf->line, p);
			continue;
		}
		/* Close the previous field. */
		if (rec->n) {
			struct vec_field *f = &rec->f[rec->n - 1];
			if (text) {
				f->data = (uint8_t *)strdup(val ? val : "");
				f->len = vlen;
			} else {
				f->data = harness_unhex(val ? val : "", &f->len);
			}
		}
		if (rec->n == VEC_MAX_FIELDS) {
			harness_fail(__FILE__, __LINE__, "%s:%u: too many fields",
				     vf->name, vf->line);
			break;
		}
		if (!rec->n)
			rec->line = vf->line;
		struct vec_field *f = &rec->f[rec->n++];
		char *k = p, *ke = eq;
		while (ke > k && isspace((unsigned char)ke[-1]))
			ke--;
		snprintf(f->name, sizeof(f->name), "%.*s", (int)(ke - k), k);
		f->data = NULL;
		char *v = eq + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		vlen = 0;
		if (val)
			val[0] = '\0';
		text = false;
		if (*v == '"') {
			char *ve = strrchr(v + 1, '"');
			text = true;
			append(&val, &vlen, &vcap, v + 1,
			       ve ? (size_t)(ve - v - 1) : strlen(v + 1));
		} else {
			append(&val, &vlen, &vcap, v, strlen(v));
		}
	}
	if (rec->n) {
		struct vec_field *f = &rec->f[rec->n - 1];
		if (text) {
			f->data = (uint8_t *)strdup(val ? val : "");
			f->len = vlen;
		} else {
			f->data = harness_unhex(val ? val : "", &f->len);
		}
	}
	free(val);
	return rec->n > 0;
}

bool vec_has(const struct vec_record *rec, const char *name)
{
	for (size_t i = 0; i < rec->n; i++)
		if (!strcmp(rec->f[i].name, name))
			return true;
	return false;
}

const struct vec_field *vec_get(const struct vec_record *rec, const char *name)
{
	for (size_t i = 0; i < rec->n; i++)
		if (!strcmp(rec->f[i].name, name))
			return &rec->f[i];
	harness_fail(__FILE__, __LINE__, "record at line %u has no field %s",
		     rec->line, name);
	return NULL;
}

void vec_close(struct vec_file *vf)
{
	if (!vf)
		return;
	if (vf->last)
		rec_clear(vf->last);
	free(vf->text);
	free(vf);
}
