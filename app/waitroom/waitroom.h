/* The waiting room's domain side (issue 18; docs/design.md section 10): a
 * sale's queue in Redis, admissions and their signed tokens, the demand
 * trigger and the token buckets. No request, no template: the pages
 * (waitroom_pages.c) pass ids, holders and times in.
 *
 * Per sale, under "wr:<sale id>:":
 *   q  ZSET  the waiting holders; score: a random number below 1e12 for a
 *            ticket issued before the sale started or in its first
 *            SHOP_SALE_SHUFFLE_S seconds (those are served in random order,
 *            all of them before any later one), 1e12 + arrival number after
 *   a  ZSET  the admitted holders; score: when their admission ends (ms).
 *            At most "units left" of them at a time; an admission that ends
 *            unused leaves the set, so its slot goes to the next in line
 *   k  HASH  holder -> ticket number (has a ticket); a holder with a ticket
 *            in neither set (its admission lapsed) goes back in line, last
 *   s  HASH  seq (ticket numbers), last (the last batch, ms), on (the
 *            demand trigger holds the room on until, ms), ds/dn (demand
 *            this second)
 * One Lua script does each step (expire, queue, admit a batch, answer), so
 * concurrent workers never admit twice or skip anyone. Everything expires
 * an hour after the sale ends. Redis is losable: a lost queue makes every
 * holder "no ticket" (404: join again) and never voids an admission given,
 * because admissions are HMAC tokens checked without Redis. */
#ifndef WAITROOM_WAITROOM_H
#define WAITROOM_WAITROOM_H

#include <stddef.h>
#include <stdint.h>
#include "../core/err.h"
#include "../sales/sales.h"

struct arena;
struct db;
struct kv;

/* Settings (environment, read at init; docs/operations.md). */
struct wr_settings {
	int shuffle_s;		/* SHOP_SALE_SHUFFLE_S: random order for tickets of the first seconds (10) */
	int admit_rate;		/* SHOP_SALE_ADMIT_RATE: admissions per second (100) */
	int batch_ms;		/* SHOP_SALE_ADMIT_BATCH_MS: one batch every (500) */
	int admit_ttl;		/* SHOP_SALE_ADMIT_TTL: an admission's life, seconds (120) */
	int room_s;		/* SHOP_SALE_ROOM_S: the room is on for the first seconds of a sale (120) */
	int limit_loopback;	/* SHOP_LIMIT_LOOPBACK: 1 = buckets apply to 127.0.0.1 too */
	/* Token buckets, per minute and burst: per shopper and per IP, for
	 * the cart's writes and for placing orders. */
	int cart_user_pm, cart_user_burst, cart_ip_pm, cart_ip_burst;
	int order_user_pm, order_user_burst, order_ip_pm, order_ip_burst;
};
extern struct wr_settings wr_set;

void waitroom_init(void);

/* A sale as the room needs it. */
struct wr_sale {
	int64_t id;
	enum sale_state state;		/* SALE_NONE: no such sale */
	int64_t starts_at, ends_at;	/* unix seconds */
	int64_t left;			/* units still for sale, all its items */
	char name[128];
};
/* The sale's state and units left now: sales_offer's answer for its items
 * (units left summed), or, when sales_offer does not know this sale, its
 * row (live only once the sales job has opened it) and its shards' units
 * (its quantity while it has no shard rows). Cached per worker for a
 * second. */
enum err waitroom_sale(struct db *db, struct arena *a, int64_t sale_id, int64_t now, struct wr_sale *out);

/* The sale's items for the waiting page's Add-to-cart forms. */
struct wr_item {
	const char *sku, *title, *slug;
	int64_t price;
};
enum err waitroom_items(struct db *db, struct arena *a, int64_t sale_id, struct wr_item **out, size_t *n);

enum wr_status { WR_NONE, WR_WAITING, WR_ADMITTED, WR_SOLDOUT, WR_ENDED, WR_UPCOMING };
const char *wr_status_name(enum wr_status s);

struct wr_ticket {
	enum wr_status status;
	int64_t number;		/* the ticket's number in this sale */
	long place;		/* 1 = next; 0 when not waiting */
	int wait_s;		/* estimated seconds to admission */
	int64_t expires;	/* admitted: when the admission ends (unix seconds) */
	int created;		/* this call issued the ticket */
};

/* A ticket for holder ("u<user id>" or "g<session hash>"), an existing one
 * kept (join), or the holder's ticket as it stands (look: WR_NONE when it
 * has none). Both also admit the next batch when it is due. E_UNAVAIL
 * when Redis cannot be reached. now_ms: unix milliseconds. */
enum err waitroom_join_ticket(struct kv *kv, struct arena *a, const struct wr_sale *s, const char *holder,
			      int64_t now_ms, struct wr_ticket *t);
enum err waitroom_look(struct kv *kv, struct arena *a, const struct wr_sale *s, const char *holder,
		       int64_t now_ms, struct wr_ticket *t);
/* 1 when the room holds shoppers back for this live sale now (its first
 * SHOP_SALE_ROOM_S seconds, anyone in line, or the demand trigger); counts
 * this request as demand, and turns the room on for 30 s when requests
 * without admission exceed SHOP_SALE_ADMIT_RATE in a second. Redis down:
 * 1 (no one gets a sale line without an admission then). */
int waitroom_holding(struct kv *kv, struct arena *a, const struct wr_sale *s, int64_t now_ms);
/* The holder's admission was used (an order holds its units): its slot
 * goes to the next in line, its ticket is spent. */
void waitroom_spent(struct kv *kv, struct arena *a, int64_t sale_id, const char *holder);

/* Admission tokens: "<sale>.<expires>.<holder>.<mac>" (HMAC-SHA256 with
 * the shop's secret, 128 bits shown). */
#define WR_TOKEN_MAX 160
void waitroom_token(int64_t sale_id, const char *holder, int64_t expires, char *out, size_t n);
/* 1 when token admits holder to sale_id at time now (unix seconds). */
int waitroom_token_ok(const char *token, int64_t sale_id, const char *holder, int64_t now);

/* A token bucket: per_min tokens a minute, burst at most; takes one.
 * 0 when there was one, else the seconds until there is (>= 1). Redis
 * down: 0. */
int waitroom_bucket(struct kv *kv, struct arena *a, const char *key, int per_min, int burst, int64_t now_ms);

#endif
