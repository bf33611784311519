/* The device: identity, peers (by public key and by session index), the
 * cryptokey routing table, the cookie checker and handshake rate limiter,
 * and the three inputs of the protocol core:
 *
 *   device_receive()  a datagram from the network
 *   device_send()     an IP packet from the tunnel interface
 *   device_run_timers() the earliest deadline (device_next_deadline) came
 *
 * Outputs go through struct device_ops: datagrams to send, IP packets to
 * deliver, packets to give back.  Every dropped packet is counted under a
 * reason.  No clock is read here: `now` is the caller's monotonic clock in
 * ns (the daemon's is CLOCK_BOOTTIME), and the wall clock (for handshake
 * timestamps) comes from an op.
 *
 * Concurrency: the core takes no lock and is single-threaded per device.
 * The caller serializes every call into one device and the ops it makes
 * (the daemon under its dev_lock; its threads and lock order are in
 * src/daemon/daemon.h and docs/design.md).  The one exception is the
 * AEAD of data messages, which a caller may run outside its lock, on
 * many threads at once, through struct device_job: the core does the
 * routing (peer, keypair, counter, endpoint) under the lock and hands
 * out a job that owns a copy of the key; device_job_seal/open run it
 * with the caller's own struct packet_crypto, touching nothing of the
 * device; a received job comes back under the lock, where the keypair is
 * looked up again and the replay window is checked, one thread at a
 * time.  Besides, device_identity_gen may be read from any thread: a
 * caller that checks handshake macs outside its lock with a cookie gate
 * (cookie.h) follows the identity with it. */
#ifndef RAMPART_PROTO_DEVICE_H
#define RAMPART_PROTO_DEVICE_H

#include "allowedips.h"
#include "cookie.h"
#include "noise.h"
#include "peer.h"
#include "ratelimiter.h"

#include "common/compiler.h"
#include "common/hashtable.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum drop_reason {
	DROP_NONE = 0,
	/* from the network */
	DROP_INVALID_MESSAGE,      /* wrong type, size or reserved bytes */
	DROP_NO_IDENTITY,          /* no private key set */
	DROP_INVALID_MAC1,
	DROP_COOKIE_SENT,          /* under load, no mac2: answered with a cookie */
	DROP_RATELIMITED,          /* under load, source over its rate */
	DROP_COOKIE_RATELIMITED,   /* under load, no mac2, and over the cookie
				    * replies' limits: no answer */
	DROP_HANDSHAKE_DECRYPT,
	DROP_UNKNOWN_PEER,
	DROP_LOW_ORDER_POINT,
	DROP_REPLAYED_INITIATION,  /* timestamp not newer */
	DROP_INITIATION_FLOOD,
	DROP_HANDSHAKE_STATE,      /* response or cookie for nothing we sent */
	DROP_INVALID_COOKIE,
	DROP_UNKNOWN_INDEX,        /* data for an index we do not have */
	DROP_KEYPAIR_EXPIRED,
	DROP_DATA_DECRYPT,
	DROP_REPLAYED_COUNTER,
	DROP_INVALID_INNER,        /* not a well-formed IPv4/IPv6 packet */
	DROP_SOURCE_NOT_ALLOWED,   /* inner source not in the peer's allowed IPs */
	/* to the network */
	DROP_NO_ROUTE,             /* no peer for the destination */
	DROP_NO_ENDPOINT,
	DROP_STAGED_OVERFLOW,
	DROP_GAVE_UP,              /* handshake attempts exhausted */
	DROP_NO_ROOM,              /* packet without head/tailroom */
	DROP_SEND_FAILED,
	DROP_REASON_COUNT,
};

const char *device_drop_reason_name(enum drop_reason reason);

/* What the core reports as it happens, for the daemon's event log
 * (docs/events.md lists the names and fields).  Each is one call of
 * ops->event, made with the state the event describes already in place;
 * pointers are borrowed for the call only. */
enum device_event_type {
	DEVICE_EVENT_HANDSHAKE,        /* peer; initiator, rekey */
	DEVICE_EVENT_ENDPOINT_CHANGED, /* peer; old_ep -> new_ep (roaming) */
	DEVICE_EVENT_STALE,            /* peer: REJECT_AFTER_TIME since its last
					* handshake and none since; ns = that age */
	DEVICE_EVENT_ALLOWED_IP_MOVED, /* prefix from other to peer */
	DEVICE_EVENT_LOAD_ENTERED,     /* under load: cookies from now on */
	DEVICE_EVENT_LOAD_LEFT,        /* ns = how long it lasted */
	DEVICE_EVENT_HANDSHAKE_FAILED, /* reason, new_ep = the source */
};

struct device_event {
	enum device_event_type type;
	uint64_t now;                  /* the caller's monotonic ns; 0 for
					* ALLOWED_IP_MOVED, which the control
					* path makes without a clock */
	const struct peer *peer;       /* or NULL */
	const struct peer *other;      /* ALLOWED_IP_MOVED: the previous holder */
	const struct endpoint *old_ep, *new_ep;
	enum drop_reason reason;       /* HANDSHAKE_FAILED */
	bool initiator;                /* HANDSHAKE: we sent the initiation */
	bool rekey;                    /* HANDSHAKE: the previous session was
					* still valid (not a fresh start) */
	int family;                    /* ALLOWED_IP_MOVED: the prefix */
	const uint8_t *addr;
	uint8_t cidr;
	uint64_t ns;
};

/* The AEAD of one data message, made under the caller's lock and run
 * without it (see Concurrency above). */
struct device_job {
	struct packet *p;
	struct noise_key key;   /* a copy: the keypair may change meanwhile */
	uint64_t counter;       /* the nonce */
	uint32_t index;         /* seal: the receiver's index; open: ours */
	size_t padded;          /* seal: the plaintext's padded length */
	struct endpoint ep;     /* seal: where it goes */
	bool ok;                /* open: authenticated (device_job_open) */
};

struct device_ops {
	void *arg;
	/* Sends one datagram to ep; 0 or -errno.  buf is only borrowed. */
	int (*send)(void *arg, const struct endpoint *ep, const uint8_t *buf, size_t len);
	/* An authenticated IP packet for the tunnel interface; ownership of
	 * p passes back to the caller. */
	void (*deliver)(void *arg, struct peer *peer, struct packet *p);
	/* Gives back a packet the core is done with (sent or dropped). */
	void (*release)(void *arg, struct packet *p);
	/* The wall clock, for handshake timestamps. */
	void (*wall_clock)(void *arg, uint64_t *sec, uint32_t *nsec);
	/* An event (optional: NULL reports none).  Called from inside the
	 * core, on the path that caused it: it must be cheap and must not
	 * call back into the device. */
	void (*event)(void *arg, const struct device_event *ev);
	/* Optional: a data message to seal and send outside the lock.  0:
	 * the caller took job->p and will seal it (device_job_seal) and send
	 * it to job->ep, counting a failure itself; anything else: the core
	 * seals it now and sends it through send.  A job taken counts as
	 * sent in the peer's counters and timers.  job is only borrowed. */
	int (*send_data)(void *arg, const struct device_job *job);
};

struct device {
	struct noise_local local;
	struct cookie_checker cookie_checker;
	struct ratelimiter ratelimiter;
	struct allowedips table;
	struct hashtable peers_by_key;   /* struct peer, keyed by public key */
	struct hashtable peers_by_index; /* struct index_entry, by local index */
	uint8_t hash_key[16];            /* SipHash key of both tables */
	size_t peer_count;
	/* Every peer, in the order they were added (the order of get=1). */
	struct peer *first_peer, *last_peer;
	unsigned mtu;                    /* tunnel MTU, for padding */
	/* The AEAD contexts of the data messages the core seals and opens
	 * itself (device_send, device_receive, and send_data declined). */
	struct packet_crypto crypto;
	struct device_ops ops;
	/* Load: the daemon reports its handshake backlog; the device is
	 * under load from UNDER_LOAD_QUEUE_LEN on, and for
	 * UNDER_LOAD_AFTER_TIME after. */
	size_t handshake_backlog;
	uint64_t last_under_load;        /* monotonic ns; 0 = never */
	uint64_t load_since;             /* monotonic ns the load began; 0 = not under load */
	uint64_t load_ns;                /* total time under load before load_since */
	uint64_t last_ratelimiter_gc;    /* monotonic ns */
	/* Min-heap of peers by timer deadline. */
	struct peer **heap;
	size_t heap_len;
	size_t heap_cap;
	uint64_t drops[DROP_REASON_COUNT];
	/* Moves whenever the identity (and so the cookie keys) changes: the
	 * one field read without the caller's serialization
	 * (device_identity_gen). */
	_Atomic uint64_t identity_gen;
	/* Allowed IPs that moved from one peer to another (each peer counts
	 * its losses in stats.prefixes_lost). */
	uint64_t prefixes_moved;
};

/* 0 or -errno. */
int device_init(struct device *dev, const struct device_ops *ops, unsigned mtu) warn_unused;
/* Removes every peer (their staged packets are released) and frees all. */
void device_uninit(struct device *dev);

/* NULL or all zeros removes the key (sessions are dropped).  Setting the
 * same key again changes nothing. */
void device_set_private_key(struct device *dev, const uint8_t *priv);

/* Adds a peer; NULL with errno (EEXIST, ENOSPC past MAX_PEERS, ENOMEM,
 * EINVAL for our own public key). */
struct peer *device_add_peer(struct device *dev, const uint8_t pub[NOISE_PUBLIC_KEY_LEN]);
struct peer *device_find_peer(struct device *dev, const uint8_t pub[NOISE_PUBLIC_KEY_LEN]);
void device_remove_peer(struct device *dev, struct peer *peer);
/* Removes every peer. */
void device_remove_all_peers(struct device *dev);
/* Sets (or with NULL / all zeros removes) the preshared key; sessions are
 * kept, the next handshake uses it. */
void device_peer_set_preshared_key(struct device *dev, struct peer *peer, const uint8_t *psk);
void device_peer_set_endpoint(struct device *dev, struct peer *peer, const struct endpoint *ep);
/* Returns 0 or -errno; a prefix held by another peer moves (counted in
 * that peer's prefixes_lost). */
int device_peer_add_allowed_ip(struct device *dev, struct peer *peer, int family,
			       const void *addr, uint8_t cidr) warn_unused;
/* Sets the persistent keepalive (seconds, 0 = off); 0 -> n sends one now. */
void device_peer_set_keepalive(struct device *dev, struct peer *peer, uint16_t seconds,
			       uint64_t now);

/* A datagram from the network, from src.  Always consumed: delivered
 * (ops->deliver) or given back (ops->release).  Returns DROP_NONE when it
 * was accepted. */
enum drop_reason device_receive(struct device *dev, struct packet *p,
				const struct endpoint *src, uint64_t now);
/* A handshake message (types 1-3) whose macs the caller has checked
 * with a cookie gate keyed for this device's identity (cookie.h), made
 * while identity_gen was gen; always consumed.  The gate's verdict was
 * COOKIE_PASS (proven false) or COOKIE_PASS_PROVEN (true: the
 * per-source rate limiter comes first, as under load).  For an
 * initiation, prep may hold its first step, made outside the lock with a
 * copy of the identity (noise_prepare_initiation; wiped here), or be
 * NULL, and rp (or NULL) receives its response to make outside the lock
 * (below).  A message checked under an older identity is taken the whole
 * way again, as device_receive does.  Cookie replies (type 3) have no
 * macs and go as in device_receive. */
enum drop_reason device_receive_checked(struct device *dev, struct packet *p,
					const struct endpoint *src, bool proven,
					struct noise_initiation_prep *prep,
					struct noise_response_prep *rp,
					uint64_t gen, uint64_t now);
/* With rp not NULL, a consumed initiation's response is left to the
 * caller when rp->prepared is set on return: noise_response_compute
 * without the lock, then this, under it again, commits and sends it (or
 * drops it if the peer went or answered a newer initiation meanwhile);
 * rp is wiped either way.  A caller that will not, wipes it
 * (noise_response_prep_wipe). */
void device_send_prepared_response(struct device *dev, struct noise_response_prep *rp,
				   const struct message_handshake_response *computed,
				   uint64_t now);
/* The identity's generation; any thread, without the caller's lock. */
uint64_t device_identity_gen(const struct device *dev);
/* Copies the current identity for work outside the lock: the cookie keys
 * into a gate's checker (cookie_checker_copy_keys) and, when l is not
 * NULL, the static key into l (noise_local_set_private; l's upcall is
 * never used by noise_prepare_initiation).  Returns the generation they
 * belong to. */
uint64_t device_copy_identity(const struct device *dev, struct cookie_checker *cc,
			      struct noise_local *l);
/* The drop counted for a refused handshake message. */
enum drop_reason device_noise_drop(enum noise_error err);
/* Counts n drops the caller decided outside the device (a cookie gate's
 * verdicts). */
void device_add_drops(struct device *dev, enum drop_reason reason, uint64_t n);

/* A data message's receipt in three steps, for callers that open
 * outside their lock (device_receive does all three).  Under the lock:
 * DROP_NONE and job filled (job->p = p, still the caller's), or a drop
 * counted and p released.  p must be a data message (packet_classify). */
enum drop_reason device_receive_prepare(struct device *dev, struct packet *p,
					struct device_job *job, uint64_t now);
/* Without the lock: authenticates and decrypts job->p in place, sets
 * job->ok. */
void device_job_open(struct packet_crypto *c, struct device_job *job);
/* Under the lock again: the replay window, the peer's state, and
 * delivery; job->p is consumed (delivered or released).  A keypair that
 * went away meanwhile is DROP_UNKNOWN_INDEX. */
enum drop_reason device_receive_opened(struct device *dev, struct device_job *job,
				       const struct endpoint *src, uint64_t now);
/* Without the lock: seals a job the core gave ops->send_data; false if
 * the AEAD failed (job->p is then unchanged). */
bool device_job_seal(struct packet_crypto *c, struct device_job *job) warn_unused;

/* An IP packet from the tunnel interface; always consumed (sent, staged,
 * or released through ops->release). */
enum drop_reason device_send(struct device *dev, struct packet *p, uint64_t now);
/* Starts a handshake with the peer now if the rate limit allows. */
void device_peer_initiate(struct device *dev, struct peer *peer, uint64_t now);
/* Sends a keepalive (or stages one and starts a handshake). */
void device_peer_send_keepalive(struct device *dev, struct peer *peer, uint64_t now);

/* The earliest deadline of any peer or of the device's own housekeeping
 * (monotonic ns), or 0 if there is none. */
uint64_t device_next_deadline(const struct device *dev);
/* Runs everything due at now. */
void device_run_timers(struct device *dev, uint64_t now);
/* The daemon's count of handshake messages waiting to be processed. */
void device_set_handshake_backlog(struct device *dev, size_t backlog, uint64_t now);
bool device_under_load(struct device *dev, uint64_t now);
/* Time spent under load until now, ns, the current spell included. */
uint64_t device_load_ns(const struct device *dev, uint64_t now);
/* Peers with a session that may still carry data at now (a current
 * keypair younger than REJECT_AFTER_TIME). */
size_t device_sessions(const struct device *dev, uint64_t now);
/* Whether a drop reason is a failed handshake (a handshake message
 * refused after its framing was fine): these are DEVICE_EVENT_HANDSHAKE_FAILED. */
bool device_drop_is_handshake_failure(enum drop_reason reason);

#endif
