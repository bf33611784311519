/* failsys: runs a program under a seccomp filter that makes chosen system
 * calls fail with a chosen errno, so that a test can give rampartd the
 * kernel it wants to see (one without an offload, one that refuses a
 * call) on the kernel it has.
 *
 *   failsys RULE... -- PROGRAM [ARG...]
 *   RULE = SYSCALL[,aN=VALUE | ,aN&MASK=VALUE]...:ERRNO
 *
 * e.g. `ioctl,a1=0x400454d0,a2&0x60=0x60:EINVAL` fails TUNSETOFFLOAD
 * whenever it asks for USO4 or USO6, as a kernel before 6.2 does.  Every
 * other call is allowed.  The filter is inherited by the program's
 * threads and children and stacks under any filter the program installs
 * itself (the kernel takes the strictest answer). */
#include <errno.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
	const char *name;
	int value;
} errnos[] = {
	{ "EINVAL", EINVAL }, { "EIO", EIO },       { "ENOBUFS", ENOBUFS }, { "EAGAIN", EAGAIN },
	{ "EPERM", EPERM },   { "ENOSYS", ENOSYS }, { "ENOMEM", ENOMEM },   { "EADDRINUSE", EADDRINUSE },
};

static int die(const char *rule, const char *why)
{
	fprintf(stderr, "failsys: %s: %s\n", rule, why);
	return 2;
}

static int parse_errno(const char *s)
{
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (!strcmp(s, errnos[i].name))
			return errnos[i].value;
	return -1;
}

/* One argument condition "aN=VALUE" or "aN&MASK=VALUE" into *c. */
static int parse_cond(char *s, struct scmp_arg_cmp *c)
{
	char *end, *eq = strchr(s, '=');
	unsigned long long mask = 0, value;
	unsigned arg;
	bool masked;

	if (s[0] != 'a' || s[1] < '0' || s[1] > '5' || !eq)
		return -1;
	arg = (unsigned)(s[1] - '0');
	masked = s[2] == '&';
	if (masked) {
		mask = strtoull(s + 3, &end, 0);
		if (end != eq)
			return -1;
	} else if (s + 2 != eq) {
		return -1;
	}
	value = strtoull(eq + 1, &end, 0);
	if (!eq[1] || *end)
		return -1;
	*c = masked ? SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, mask, value) : SCMP_CMP(arg, SCMP_CMP_EQ, value);
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, char *rule)
{
	char copy[256], *colon, *part, *save = NULL;
	struct scmp_arg_cmp conds[6];
	unsigned n = 0;
	int nr, err;

	if (strlen(rule) >= sizeof(copy))
		return die(rule, "too long");
	strcpy(copy, rule);
	colon = strrchr(copy, ':');
	if (!colon || (err = parse_errno(colon + 1)) < 0)
		return die(rule, "ends with :ERRNO (EINVAL, EIO, ENOBUFS, EAGAIN, EPERM, ENOSYS, ENOMEM, EADDRINUSE)");
	*colon = 0;
	part = strtok_r(copy, ",", &save);
	nr = part ? seccomp_syscall_resolve_name(part) : __NR_SCMP_ERROR;
	if (nr == __NR_SCMP_ERROR)
		return die(rule, "no such system call");
	while ((part = strtok_r(NULL, ",", &save))) {
		if (n == 6 || parse_cond(part, &conds[n++]))
			return die(rule, "a condition is aN=VALUE or aN&MASK=VALUE, N from 0 to 5");
	}
	if (seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO((unsigned)err), nr, n, conds))
		return die(rule, "libseccomp refused the rule");
	return 0;
}

int main(int argc, char **argv)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int i, ret;

	if (!ctx)
		return die("seccomp_init", "failed");
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if ((ret = add_rule(ctx, argv[i])))
			return ret;
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: failsys RULE... -- PROGRAM [ARG...]\n");
		return 2;
	}
	if (seccomp_load(ctx))
		return die("seccomp_load", strerror(errno));
	seccomp_release(ctx);
	execvp(argv[i + 1], argv + i + 1);
	fprintf(stderr, "failsys: %s: %s\n", argv[i + 1], strerror(errno));
	return 127;
}
