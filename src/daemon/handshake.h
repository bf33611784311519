/* The handshake queue and the handshake thread: the data threads push
 * handshake messages (initiations, responses, cookie replies) here, and
 * one thread takes them through the core, so that the work that costs a
 * Diffie-Hellman never runs on a data thread. */
#ifndef RAMPART_DAEMON_HANDSHAKE_H
#define RAMPART_DAEMON_HANDSHAKE_H

#include "proto/device.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* A handshake message waiting for the handshake thread. */
struct hsq_entry {
	struct endpoint src;
	uint16_t len;
	uint8_t buf[sizeof(struct message_handshake_initiation)]; /* the largest */
};

/* The bounded handshake queue (MAX_QUEUED_INCOMING_HANDSHAKES entries,
 * allocated at start).  Its length is the device's load signal: from
 * UNDER_LOAD_QUEUE_LEN on, initiations without a valid mac2 get a cookie
 * reply instead of a Diffie-Hellman. */
struct hsq {
	pthread_mutex_t lock; /* protects everything below */
	pthread_cond_t nonempty;
	struct hsq_entry *ring;
	size_t head, len;
	unsigned long long dropped; /* queue full */
};

/* 0 or -ENOMEM. */
int hsq_init(struct hsq *q);
void hsq_uninit(struct hsq *q);
/* Queues a copy of buf, or counts it dropped when the queue is full. */
void hsq_push(struct hsq *q, const uint8_t *buf, size_t len, const struct endpoint *src);
/* The handshake thread (arg: the struct daemon), until d->stopping. */
void *handshake_main(void *arg);

#endif
