/* The shared packet pool (pool.h). */
#include "pool.h"

#include <errno.h>
#include <stdlib.h>

static size_t size_for(unsigned mtu)
{
	return PACKET_HEADROOM + (size_t)mtu + PACKET_TAILROOM;
}

int pool_init(struct pool *pool, unsigned mtu)
{
	pool->free_list = NULL;
	pool->n_free = pool->n_out = 0;
	pool->exhausted = 0;
	pool->buf_size = size_for(mtu);
	return -pthread_mutex_init(&pool->lock, NULL);
}

static void free_all(struct pool *pool)
{
	while (pool->free_list) {
		struct packet *p = pool->free_list;
		pool->free_list = p->next;
		free(p);
	}
	pool->n_free = 0;
}

void pool_uninit(struct pool *pool)
{
	free_all(pool);
	pthread_mutex_destroy(&pool->lock);
}

void pool_set_mtu(struct pool *pool, unsigned mtu)
{
	pthread_mutex_lock(&pool->lock);
	if (size_for(mtu) != pool->buf_size) {
		pool->buf_size = size_for(mtu);
		free_all(pool);
	}
	pthread_mutex_unlock(&pool->lock);
}

struct packet *pool_get(struct pool *pool)
{
	struct pool_packet *pp;
	struct packet *p;
	size_t size;

	pthread_mutex_lock(&pool->lock);
	p = pool->free_list;
	if (p) {
		pool->free_list = p->next;
		pool->n_free--;
		pool->n_out++;
		pthread_mutex_unlock(&pool->lock);
		goto ready;
	}
	if (pool->n_out >= POOL_MAX_PACKETS) {
		pool->exhausted++;
		pthread_mutex_unlock(&pool->lock);
		return NULL;
	}
	pool->n_out++;
	size = pool->buf_size;
	pthread_mutex_unlock(&pool->lock);

	/* One allocation: the header, then the buffer. */
	pp = malloc(sizeof(*pp) + size);
	if (!pp) {
		pthread_mutex_lock(&pool->lock);
		pool->n_out--;
		pool->exhausted++;
		pthread_mutex_unlock(&pool->lock);
		return NULL;
	}
	pp->from_pool = true;
	p = &pp->p;
	p->head = (uint8_t *)(pp + 1);
	p->cap = size;
	p->core_owned = false;
ready:
	p->off = PACKET_HEADROOM;
	p->len = 0;
	p->next = NULL;
	return p;
}

void pool_put(struct pool *pool, struct packet *p)
{
	pthread_mutex_lock(&pool->lock);
	pool->n_out--;
	if (pool->n_free < POOL_MAX_FREE && p->cap == pool->buf_size) {
		p->next = pool->free_list;
		pool->free_list = p;
		pool->n_free++;
		p = NULL;
	}
	pthread_mutex_unlock(&pool->lock);
	free(p ? (void *)((uint8_t *)p - offsetof(struct pool_packet, p)) : NULL);
}
