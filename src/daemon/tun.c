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

/* SIOCGIFMTU or SIOCSIFMTU (req) on the interface name, through a plain
 * datagram socket (the sandbox allows exactly this for tun_mtu).  The MTU
 * read, or 0 for a set; -errno on failure. */
static int mtu_ioctl(const char *name, unsigned long req, int mtu)
{
	struct ifreq ifr;
	int fd, ret;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strnlen(name, IFNAMSIZ - 1));
	ifr.ifr_mtu = mtu;
	ret = ioctl(fd, req, &ifr) ? -errno : req == SIOCGIFMTU ? ifr.ifr_mtu : 0;
	close(fd);
	return ret;
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
	err = mtu_ioctl(tun->name, SIOCSIFMTU, TUN_DEFAULT_MTU);
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
	return mtu_ioctl(tun->name, SIOCGIFMTU, 0);
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
