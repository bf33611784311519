/* The TUN device (tun.h). */
#include "tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int set_mtu(const char *name, int mtu)
{
	struct ifreq ifr;
	int fd, err;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strnlen(name, IFNAMSIZ - 1));
	ifr.ifr_mtu = mtu;
	err = ioctl(fd, SIOCSIFMTU, &ifr) ? -errno : 0;
	close(fd);
	return err;
}

#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20 /* Linux 6.2's if_tun.h; Debian 12's headers predate it */
#define TUN_F_USO6 0x40
#endif

/* The TUN offloads of want the kernel takes, tried from the most. */
static unsigned set_offloads(int fd, unsigned want)
{
	static const unsigned tso = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;

	if ((want & OFFLOAD_USO) && !ioctl(fd, TUNSETOFFLOAD, tso | TUN_F_USO4 | TUN_F_USO6))
		return OFFLOAD_TSO | OFFLOAD_USO;
	if (!ioctl(fd, TUNSETOFFLOAD, tso))
		return OFFLOAD_TSO;
	return 0;
}

int tun_open(struct tun *tun, const char *name, unsigned n_queues, unsigned want)
{
	bool vnet = want & OFFLOAD_TSO;
	struct ifreq ifr;
	unsigned i;
	int err;

	memset(tun, 0, sizeof(*tun));
	if (!name[0] || strlen(name) >= IFNAMSIZ || strchr(name, '/') || strchr(name, '%') ||
	    !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	if (!n_queues)
		return -EINVAL;
	/* A multi-queue TUN of that name would take our queues as extra
	 * ones: never attach to an interface someone else made. */
	if (if_nametoindex(name))
		return -EEXIST;
	tun->fds = calloc(n_queues, sizeof(*tun->fds));
	if (!tun->fds)
		return -ENOMEM;
	tun->n_fds = n_queues;
	for (i = 0; i < n_queues; i++)
		tun->fds[i] = -1;
	for (i = 0; i < n_queues; i++) {
		int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			goto fail;
		}
		tun->fds[i] = fd;
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE | (vnet ? IFF_VNET_HDR : 0);
		memcpy(ifr.ifr_name, name, strlen(name));
		if (ioctl(fd, TUNSETIFF, &ifr)) {
			/* EBUSY: a TUN of that name with its queues taken;
			 * EINVAL: an interface of another kind (or a TUN made
			 * without multi-queue) has the name. */
			err = errno == EBUSY || errno == EINVAL ? -EEXIST : -errno;
			goto fail;
		}
		tun->n_queues++;
	}
	memcpy(tun->name, ifr.ifr_name, sizeof(tun->name));
	tun->name[IFNAMSIZ - 1] = '\0';
	tun->ifindex = if_nametoindex(tun->name);
	if (!tun->ifindex) {
		err = -errno;
		goto fail;
	}
	err = set_mtu(tun->name, TUN_DEFAULT_MTU);
	if (err)
		goto fail;
	tun->vnet = vnet;
	if (vnet)
		tun->offloads = set_offloads(tun->fds[0], want);
	return 0;
fail:
	tun_close(tun);
	return err;
}

void tun_close(struct tun *tun)
{
	for (unsigned i = 0; tun->fds && i < tun->n_fds; i++)
		if (tun->fds[i] >= 0)
			close(tun->fds[i]);
	free(tun->fds);
	tun->fds = NULL;
	tun->n_fds = tun->n_queues = 0;
}

int tun_mtu(const struct tun *tun)
{
	struct ifreq ifr;
	int fd, mtu;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, tun->name, sizeof(ifr.ifr_name));
	mtu = ioctl(fd, SIOCGIFMTU, &ifr) ? -errno : ifr.ifr_mtu;
	close(fd);
	return mtu;
}

bool tun_present(const struct tun *tun)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	for (unsigned i = 0; i < tun->n_fds; i++)
		if (tun->fds[i] >= 0)
			return !ioctl(tun->fds[i], TUNGETIFF, &ifr) || errno != EBADFD;
	return false;
}
