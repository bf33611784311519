/* The handshake queue and thread (handshake.h). */
#include "handshake.h"

#include "daemon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Messages taken off the queue per pass under dev_lock. */
enum { HS_BATCH = 16 };

int hsq_init(struct hsq *q)
{
	q->ring = calloc(MAX_QUEUED_INCOMING_HANDSHAKES, sizeof(*q->ring));
	if (!q->ring)
		return -ENOMEM;
	q->head = q->len = 0;
	q->dropped = 0;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->nonempty, NULL);
	return 0;
}

void hsq_uninit(struct hsq *q)
{
	if (!q->ring)
		return;
	free(q->ring);
	q->ring = NULL;
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->nonempty);
}

void hsq_push(struct hsq *q, const uint8_t *buf, size_t len, const struct endpoint *src)
{
	pthread_mutex_lock(&q->lock);
	if (q->len == MAX_QUEUED_INCOMING_HANDSHAKES ||
	    len > sizeof(q->ring[0].buf)) {
		q->dropped++;
	} else {
		struct hsq_entry *e = &q->ring[(q->head + q->len) % MAX_QUEUED_INCOMING_HANDSHAKES];
		e->src = *src;
		e->len = (uint16_t)len;
		memcpy(e->buf, buf, len);
		q->len++;
		pthread_cond_signal(&q->nonempty);
	}
	pthread_mutex_unlock(&q->lock);
}

void *handshake_main(void *arg)
{
	struct daemon *d = arg;
	struct hsq *q = &d->hsq;
	struct hsq_entry batch[HS_BATCH];
	struct pool_packet pk = { .from_pool = false };

	for (;;) {
		size_t n = 0, backlog;

		pthread_mutex_lock(&q->lock);
		while (!q->len && !atomic_load(&d->stopping))
			pthread_cond_wait(&q->nonempty, &q->lock);
		if (atomic_load(&d->stopping)) {
			pthread_mutex_unlock(&q->lock);
			break;
		}
		while (q->len && n < HS_BATCH) {
			batch[n++] = q->ring[q->head];
			q->head = (q->head + 1) % MAX_QUEUED_INCOMING_HANDSHAKES;
			q->len--;
		}
		/* The load signal counts what was waiting, this batch included. */
		backlog = q->len + n;
		pthread_mutex_unlock(&q->lock);

		pthread_rwlock_rdlock(&d->sock_lock);
		daemon_lock_device(d);
		for (size_t i = 0; i < n; i++) {
			uint64_t now = daemon_now();

			device_set_handshake_backlog(&d->dev, backlog - i, now);
			pk.p.head = batch[i].buf;
			pk.p.cap = sizeof(batch[i].buf);
			pk.p.off = 0;
			pk.p.len = batch[i].len;
			pk.p.next = NULL;
			pk.p.core_owned = false;
			daemon_log_drop(device_receive(&d->dev, &pk.p, &batch[i].src, now), &batch[i].src);
		}
		daemon_rearm_timer(d);
		daemon_unlock_device(d);
		pthread_rwlock_unlock(&d->sock_lock);
	}
	return NULL;
}
