/* The requests rampartd's engine may make of its privileged parent
 * (privsep.h, docs/design.md "Processes"), and the parent's parser.
 *
 * A request is one SOCK_SEQPACKET datagram: a fixed header (type, total
 * length) and a fixed body per type; the length must be exactly the
 * header plus that body.  The parser is pure: bytes in, a validated
 * request or a refusal reason out.  privreq_handle() parses, counts each
 * refusal and calls the action for an accepted request only, so nothing
 * refused is ever acted on. */
#ifndef RAMPART_DAEMON_PRIVREQ_H
#define RAMPART_DAEMON_PRIVREQ_H

#include "common/compiler.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum privreq_type {
	/* Bind a new set of UDP socket pairs on port (1-65535), with
	 * fwmark; the reply carries them (SCM_RIGHTS).  The set stays
	 * pending in the parent until PRIVREQ_COMMIT_UDP. */
	PRIVREQ_BIND_UDP = 1,
	/* Take the pending set into use (use 1: the parent closes its
	 * copies of the old set) or drop it (use 0). */
	PRIVREQ_COMMIT_UDP = 2,
	/* SO_MARK on every socket of the set in use. */
	PRIVREQ_SET_FWMARK = 3,
	/* A TUN device: the parent opens the one TUN before the engine
	 * exists, so this is always a second TUN and always refused.  It
	 * has a type so that the refusal is counted as such. */
	PRIVREQ_OPEN_TUN = 4,
};

struct privreq_header {
	uint32_t type; /* enum privreq_type */
	uint32_t len;  /* the whole datagram: header and body */
};

struct privreq_bind_udp {
	uint32_t port; /* 1-65535: a random port is the engine's choice */
	uint32_t fwmark;
};

struct privreq_commit_udp {
	uint32_t use; /* 0 or 1 */
};

struct privreq_set_fwmark {
	uint32_t fwmark;
};

struct privreq_open_tun {
	char ifname[16];
};

/* The largest request, for the parent's receive buffer. */
struct privreq_wire {
	struct privreq_header h;
	union {
		struct privreq_bind_udp bind;
		struct privreq_commit_udp commit;
		struct privreq_set_fwmark mark;
		struct privreq_open_tun tun;
	} body;
};

/* A validated request. */
struct privreq {
	enum privreq_type type;
	uint16_t port;   /* BIND_UDP */
	uint32_t fwmark; /* BIND_UDP, SET_FWMARK */
	bool use;        /* COMMIT_UDP */
};

enum privreq_refusal {
	PRIVREQ_OK = 0,
	PRIVREQ_SHORT,       /* shorter than the header */
	PRIVREQ_BAD_LENGTH,  /* the header's length is not the datagram's, or
			      * not the type's */
	PRIVREQ_UNKNOWN_TYPE,
	PRIVREQ_BAD_PORT,    /* outside 1-65535 */
	PRIVREQ_BAD_VALUE,   /* a COMMIT_UDP use other than 0 or 1 */
	PRIVREQ_SECOND_TUN,
	PRIVREQ_N_REFUSALS,
};

/* The refusal's name, for the log. */
const char *privreq_refusal_name(enum privreq_refusal why);

/* Parses len bytes; PRIVREQ_OK with *out filled, or the reason. */
enum privreq_refusal privreq_parse(const void *buf, size_t len, struct privreq *out) warn_unused;

/* What the parent does for each accepted request: 0 or -errno, the
 * result sent back.  bind fills *port with the port bound. */
struct privreq_actions {
	void *arg;
	int (*bind_udp)(void *arg, uint16_t port, uint32_t fwmark);
	int (*commit_udp)(void *arg, bool use);
	int (*set_fwmark)(void *arg, uint32_t fwmark);
};

struct privreq_counters {
	unsigned long long accepted;
	unsigned long long refused[PRIVREQ_N_REFUSALS]; /* [PRIVREQ_OK] unused */
};

/* Parses a request, counts it, and on acceptance calls its action.
 * Returns the action's result, or -EINVAL for a refused request (with
 * the reason in *why, which is PRIVREQ_OK otherwise). */
int privreq_handle(const void *buf, size_t len, const struct privreq_actions *acts,
		   struct privreq_counters *counters, enum privreq_refusal *why);

/* The engine's side: fills w with a request of type; returns the bytes
 * to send (header and body). */
size_t privreq_build(struct privreq_wire *w, const struct privreq *req);

#endif
