#include "packet.h"

#include "noise.h"

#include "crypto/crypto.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

enum message_type packet_classify(const uint8_t *buf, size_t len)
{
	uint32_t type;

	if (len < sizeof(struct message_header))
		return MESSAGE_INVALID;
	/* A little-endian word: the type in the first byte, three reserved
	 * zero bytes after it. */
	memcpy(&type, buf, sizeof(type));
	switch (le32toh(type)) {
	case MESSAGE_HANDSHAKE_INITIATION:
		return len == sizeof(struct message_handshake_initiation)
			       ? MESSAGE_HANDSHAKE_INITIATION : MESSAGE_INVALID;
	case MESSAGE_HANDSHAKE_RESPONSE:
		return len == sizeof(struct message_handshake_response)
			       ? MESSAGE_HANDSHAKE_RESPONSE : MESSAGE_INVALID;
	case MESSAGE_HANDSHAKE_COOKIE:
		return len == sizeof(struct message_handshake_cookie)
			       ? MESSAGE_HANDSHAKE_COOKIE : MESSAGE_INVALID;
	case MESSAGE_DATA:
		return len >= MESSAGE_MINIMUM_LENGTH ? MESSAGE_DATA : MESSAGE_INVALID;
	default:
		return MESSAGE_INVALID;
	}
}

size_t packet_padded_len(size_t len, unsigned mtu)
{
	size_t last_unit = len, padded;

	if (!mtu)
		return (len + MESSAGE_PADDING_MULTIPLE - 1) & ~(size_t)(MESSAGE_PADDING_MULTIPLE - 1);
	/* A packet above the MTU (it happens with offloads) keeps its length;
	 * only its last MTU-sized unit is padded, as the kernel does. */
	if (last_unit > mtu)
		last_unit %= mtu;
	padded = (last_unit + MESSAGE_PADDING_MULTIPLE - 1) & ~(size_t)(MESSAGE_PADDING_MULTIPLE - 1);
	if (padded > mtu)
		padded = mtu;
	return len + (padded - last_unit);
}

int packet_crypto_init(struct packet_crypto *c)
{
	memset(c, 0, sizeof(*c));
	c->seal = crypto_aead_alloc();
	c->open = crypto_aead_alloc();
	if (!c->seal || !c->open) {
		packet_crypto_uninit(c);
		return -ENOMEM;
	}
	return 0;
}

void packet_crypto_uninit(struct packet_crypto *c)
{
	crypto_aead_free(c->seal); /* cleanses the key */
	crypto_aead_free(c->open);
	memset(c, 0, sizeof(*c));
}

/* ctx keyed with key, unless it already holds it (*held is its id). */
static bool keyed(struct crypto_aead *ctx, uint64_t *held, const struct noise_key *key)
{
	if (*held == key->id)
		return true;
	*held = 0;
	if (crypto_aead_set_key(ctx, key->bytes))
		return false;
	*held = key->id;
	return true;
}

bool packet_has_room(const struct packet *p, size_t padded)
{
	return p->off >= sizeof(struct message_data) &&
	       p->cap - p->off >= padded + NOISE_AUTHTAG_LEN;
}

bool packet_seal(struct packet_crypto *c, struct packet *p, const struct noise_key *key,
		 uint32_t remote_index, uint64_t counter, size_t padded)
{
	struct message_data *hdr;

	if (padded < p->len || !packet_has_room(p, padded) || !keyed(c->seal, &c->seal_id, key))
		return false;
	memset(packet_data(p) + p->len, 0, padded - p->len);
	hdr = (struct message_data *)(packet_data(p) - sizeof(*hdr));
	hdr->header.type = htole32(MESSAGE_DATA);
	hdr->key_idx = htole32(remote_index);
	hdr->counter = htole64(counter);
	if (!crypto_aead_seal(c->seal, packet_data(p), packet_data(p), padded, NULL, 0, counter))
		return false;
	p->off -= sizeof(*hdr);
	p->len = sizeof(*hdr) + noise_encrypted_len(padded);
	return true;
}

bool packet_open(struct packet_crypto *c, struct packet *p, const struct noise_key *key)
{
	const struct message_data *hdr = (const struct message_data *)packet_data(p);
	uint64_t counter;
	size_t clen;

	if (p->len < MESSAGE_MINIMUM_LENGTH || !keyed(c->open, &c->open_id, key))
		return false;
	counter = le64toh(hdr->counter);
	clen = p->len - sizeof(*hdr);
	if (!crypto_aead_open(c->open, packet_data(p) + sizeof(*hdr),
			      packet_data(p) + sizeof(*hdr), clen, NULL, 0, counter))
		return false;
	p->off += sizeof(*hdr);
	p->len = clen - NOISE_AUTHTAG_LEN;
	return true;
}

bool packet_parse_ip(const uint8_t *buf, size_t len, struct packet_ip *ip)
{
	if (len < 1)
		return false;
	switch (buf[0] >> 4) {
	case 4: {
		size_t ihl = (size_t)(buf[0] & 15) * 4, total;
		if (len < 20 || ihl < 20)
			return false;
		total = (size_t)buf[2] << 8 | buf[3];
		if (total < ihl || total > len)
			return false;
		ip->family = AF_INET;
		ip->src = buf + 12;
		ip->dst = buf + 16;
		ip->len = total;
		return true;
	}
	case 6: {
		size_t total;
		if (len < 40)
			return false;
		total = 40 + ((size_t)buf[4] << 8 | buf[5]);
		if (total > len)
			return false;
		ip->family = AF_INET6;
		ip->src = buf + 8;
		ip->dst = buf + 24;
		ip->len = total;
		return true;
	}
	default:
		return false;
	}
}
