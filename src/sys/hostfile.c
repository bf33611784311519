#include "hostfile.h"

#include "common/fileio.h"
#include "common/textbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int hostfile_read_fd(int fd, size_t max, struct textbuf *out)
{
	char *buf;
	size_t len;
	int ret;

	textbuf_append(out, "", 0);
	ret = fileio_read_bounded(fd, max, &buf, &len);
	if (ret)
		return ret;
	if (len > max)
		ret = -EFBIG;
	else
		textbuf_append(out, buf, len);
	textbuf_free_text(buf, len);
	return ret ? ret : out->err;
}

int hostfile_read(const char *path, size_t max, struct textbuf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), ret;

	if (fd < 0)
		return -errno;
	ret = hostfile_read_fd(fd, max, out);
	close(fd);
	return ret;
}
