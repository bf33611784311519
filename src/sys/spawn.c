#define _GNU_SOURCE /* memfd_create, pipe2 */
#include "spawn.h"

#include "hostfile.h"

#include "common/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* What execvp() searches when PATH is unset or empty. */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

bool spawn_find(const char *name, char *out, size_t size)
{
	const char *path = getenv("PATH"), *p, *end;

	if (strchr(name, '/')) {
		snprintf(out, size, "%s", name);
		return !access(name, X_OK);
	}
	if (!path || !*path)
		path = DEFAULT_PATH;
	for (p = path; p; p = *end ? end + 1 : NULL) {
		size_t n;

		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		n = (size_t)(end - p);
		if (n + strlen(name) + 2 <= size) {
			/* An empty element is the current directory. */
			snprintf(out, size, "%.*s/%s", (int)n, n ? p : ".", name);
			if (!access(out, X_OK))
				return true;
		}
		if (!*end)
			break;
	}
	return false;
}

bool spawn_find_beside_self(const char *name, char *out, size_t size)
{
	char self[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return false;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return false;
	*slash = '\0';
	return snprintf(out, size, "%s/%s", self, name) < (int)size && !access(out, X_OK);
}

/* The input may be secret (resolvconf's is not, but callers need not
 * know that): the memfd's pages go before the fd does.  0 or -errno. */
static int drop_input(int fd)
{
	int ret = ftruncate(fd, 0) < 0 ? -errno : 0;

	close(fd);
	return ret;
}

/* The memfd that becomes the child's stdin, positioned at its start. */
static int input_fd(const char *in, size_t in_len)
{
	int fd = memfd_create("rampart-input", MFD_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = fileio_write_all(fd, in, in_len);
	if (!ret && lseek(fd, 0, SEEK_SET) < 0)
		ret = -errno;
	if (ret) {
		drop_input(fd);
		return ret;
	}
	return fd;
}

static void __attribute__((noreturn))
child(char *const argv[], const sigset_t *mask, int infd, int outfd)
{
	if (mask)
		sigprocmask(SIG_SETMASK, mask, NULL);
	if (infd >= 0 && dup2(infd, STDIN_FILENO) < 0)
		_exit(126);
	if (outfd >= 0 && dup2(outfd, STDOUT_FILENO) < 0)
		_exit(126);
	execvp(argv[0], argv);
	dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(SPAWN_EXEC_FAILED);
}

int spawn_run(char *const argv[], const sigset_t *mask, const char *in, size_t in_len,
	      struct textbuf *out, int *status)
{
	int infd = -1, pipefd[2] = { -1, -1 }, ret = 0, wstatus;
	pid_t pid;

	if (in) {
		infd = input_fd(in, in_len);
		if (infd < 0)
			return infd;
	}
	if (out && pipe2(pipefd, O_CLOEXEC) < 0) {
		ret = -errno;
		goto out;
	}
	/* What we buffered would otherwise be written twice. */
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto out;
	}
	if (!pid)
		child(argv, mask, infd, pipefd[1]);
	if (out) {
		close(pipefd[1]);
		pipefd[1] = -1;
		ret = hostfile_read_fd(pipefd[0], SPAWN_OUTPUT_MAX, out);
	}
	/* Reaped even when its output could not be read. */
	while (waitpid(pid, &wstatus, 0) < 0) {
		if (errno != EINTR) {
			ret = -errno;
			goto out;
		}
	}
	if (WIFEXITED(wstatus))
		*status = WEXITSTATUS(wstatus);
	else
		*status = 128 + (WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
out:
	if (infd >= 0) {
		int r = drop_input(infd);

		ret = ret ? ret : r;
	}
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	return ret;
}
