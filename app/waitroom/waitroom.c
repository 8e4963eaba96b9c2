/* The waiting room's domain side: see waitroom.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../core/log.h"
#include "../store/db.h"
#include "../store/kv.h"
#include "waitroom.h"

struct wr_settings wr_set;

enum { Q_SALE, Q_SKUS, Q_ITEMS, NQ };

static struct db_sql sql[NQ] = {
	/* status, start, end, units for the sale, shard rows, their units */
	[Q_SALE] = { "SELECT s.status, UNIX_TIMESTAMP(s.starts_at), UNIX_TIMESTAMP(s.ends_at), "
		     "(SELECT COALESCE(SUM(i.quantity), 0) FROM sale_items i WHERE i.sale_id = s.id), "
		     "(SELECT COUNT(*) FROM stock_shards h WHERE h.sale_id = s.id), "
		     "(SELECT COALESCE(SUM(h.available), 0) FROM stock_shards h WHERE h.sale_id = s.id) "
		     ", s.name FROM sales s WHERE s.id = ?", 0 },
	[Q_SKUS] = { "SELECT sku_id FROM sale_items WHERE sale_id = ? ORDER BY sku_id", 0 },
	[Q_ITEMS] = { "SELECT k.code, p.title, p.slug, i.price FROM sale_items i JOIN skus k ON k.id = i.sku_id "
		      "JOIN products p ON p.id = i.product_id WHERE i.sale_id = ? ORDER BY i.sku_id LIMIT 20", 0 },
};

void waitroom_init(void)
{
	static int done;

	if (done++)
		return;
	db_register(sql, NQ);
	wr_set.shuffle_s = (int)config_env_num("SHOP_SALE_SHUFFLE_S", 10, 0, 3600);
	wr_set.admit_rate = (int)config_env_num("SHOP_SALE_ADMIT_RATE", 100, 1, 100000);
	wr_set.batch_ms = (int)config_env_num("SHOP_SALE_ADMIT_BATCH_MS", 500, 50, 60000);
	wr_set.admit_ttl = (int)config_env_num("SHOP_SALE_ADMIT_TTL", 120, 1, 3600);
	wr_set.room_s = (int)config_env_num("SHOP_SALE_ROOM_S", 120, 0, 86400);
	wr_set.limit_loopback = (int)config_env_num("SHOP_LIMIT_LOOPBACK", 0, 0, 1);
	wr_set.cart_user_pm = (int)config_env_num("SHOP_BUCKET_CART_PER_MIN", 120, 1, 1000000);
	wr_set.cart_user_burst = (int)config_env_num("SHOP_BUCKET_CART_BURST", 20, 1, 100000);
	wr_set.cart_ip_pm = (int)config_env_num("SHOP_BUCKET_CART_IP_PER_MIN", 1200, 1, 1000000);
	wr_set.cart_ip_burst = (int)config_env_num("SHOP_BUCKET_CART_IP_BURST", 200, 1, 100000);
	wr_set.order_user_pm = (int)config_env_num("SHOP_BUCKET_ORDER_PER_MIN", 30, 1, 1000000);
	wr_set.order_user_burst = (int)config_env_num("SHOP_BUCKET_ORDER_BURST", 5, 1, 100000);
	wr_set.order_ip_pm = (int)config_env_num("SHOP_BUCKET_ORDER_IP_PER_MIN", 300, 1, 1000000);
	wr_set.order_ip_burst = (int)config_env_num("SHOP_BUCKET_ORDER_IP_BURST", 60, 1, 100000);
}

/* ---- the sale ---- */

/* Per worker: the last few sales looked at, for a second (every poll of
 * the waiting page asks). */
#define SALE_CACHE 8
static struct {
	struct wr_sale s;
	int64_t at;
} cache[SALE_CACHE];

static enum err sale_read(struct db *db, struct arena *a, int64_t sale_id, int64_t now, struct wr_sale *out)
{
	struct db_res *r = NULL;
	int64_t left = 0;
	int known = 0;
	const char *st;
	enum err e;

	memset(out, 0, sizeof(*out));
	out->id = sale_id;
	if ((e = db_exec(db, a, &sql[Q_SALE], &r, "i", sale_id)))
		return e;
	if (!r->nrows)
		return E_OK;	/* SALE_NONE */
	st = db_cell(r, 0, 0);
	out->starts_at = db_int(r, 0, 1);
	out->ends_at = db_int(r, 0, 2);
	/* The row: live once the sales job opened it, until it ends. */
	if (st && !strcmp(st, "live") && now < out->ends_at)
		out->state = SALE_LIVE;
	else if (st && !strcmp(st, "scheduled") && now < out->ends_at)
		out->state = SALE_UPCOMING;
	else
		out->state = SALE_OVER;
	out->left = db_int(r, 0, 4) > 0 ? db_int(r, 0, 5) : db_int(r, 0, 3);
	snprintf(out->name, sizeof(out->name), "%s", db_cell(r, 0, 6) ? db_cell(r, 0, 6) : "");
	/* The sales module's word, when it knows this sale (it reads the
	 * shards' units as the checkout takes them). */
	if ((e = db_exec(db, a, &sql[Q_SKUS], &r, "i", sale_id)))
		return e;
	for (size_t i = 0; i < r->nrows; i++) {
		struct sale_offer o;

		if (sales_offer(db, a, db_int(r, i, 0), now, &o) || o.sale_id != sale_id)
			continue;
		if (!known++)
			out->state = o.state;
		left += o.left > 0 ? o.left : 0;
	}
	if (known)
		out->left = left;
	return E_OK;
}

enum err waitroom_sale(struct db *db, struct arena *a, int64_t sale_id, int64_t now, struct wr_sale *out)
{
	size_t slot = (size_t)sale_id % SALE_CACHE;
	enum err e;

	if (cache[slot].s.id == sale_id && cache[slot].at == now) {
		*out = cache[slot].s;
		return E_OK;
	}
	if ((e = sale_read(db, a, sale_id, now, out)))
		return e;
	cache[slot].s = *out;
	cache[slot].at = now;
	return E_OK;
}

enum err waitroom_items(struct db *db, struct arena *a, int64_t sale_id, struct wr_item **out, size_t *n)
{
	struct db_res *r = NULL;
	enum err e;

	*out = NULL;
	*n = 0;
	if ((e = db_exec(db, a, &sql[Q_ITEMS], &r, "i", sale_id)))
		return e;
	if (!r->nrows)
		return E_OK;
	if (!(*out = arena_alloc(a, r->nrows * sizeof(**out))))
		return E_NOMEM;
	for (size_t i = 0; i < r->nrows; i++) {
		(*out)[i].sku = db_cell(r, i, 0);
		(*out)[i].title = db_cell(r, i, 1);
		(*out)[i].slug = db_cell(r, i, 2);
		(*out)[i].price = db_int(r, i, 3);
	}
	*n = r->nrows;
	return E_OK;
}

const char *wr_status_name(enum wr_status s)
{
	switch (s) {
	case WR_WAITING: return "waiting";
	case WR_ADMITTED: return "admitted";
	case WR_SOLDOUT: return "soldout";
	case WR_ENDED: return "ended";
	case WR_UPCOMING: return "upcoming";
	default: return "none";
	}
}

/* ---- the queue ---- */

/* KEYS: q a k s. ARGV: op holder now shuffle_until batch batch_ms ttl_ms
 * cap phase rnd room_until demand_rate life_s. Answers {status, place,
 * ticket, expires_ms, created} or, for "gate", {on}. */
static const char step_lua[] =
	"local q,a,k,s=KEYS[1],KEYS[2],KEYS[3],KEYS[4]\n"
	"local op,h=ARGV[1],ARGV[2]\n"
	"local now,shuf,batch,bms,ttl=tonumber(ARGV[3]),tonumber(ARGV[4]),tonumber(ARGV[5]),tonumber(ARGV[6]),tonumber(ARGV[7])\n"
	"local cap,phase,rnd,roomu,drate,life=tonumber(ARGV[8]),ARGV[9],tonumber(ARGV[10]),tonumber(ARGV[11]),tonumber(ARGV[12]),tonumber(ARGV[13])\n"
	/* admissions that ended unused: their slots return */
	"redis.call('ZREMRANGEBYSCORE',a,'-inf',now)\n"
	"local qn=redis.call('ZCARD',q)\n"
	"local onu=tonumber(redis.call('HGET',s,'on') or '0')\n"
	"local on=(now<roomu) or qn>0 or now<onu\n"
	"if op=='gate' then\n"
	"  if phase=='live' and not on then\n"
	"    local sec=math.floor(now/1000)\n"
	"    local dn=1\n"
	"    if tonumber(redis.call('HGET',s,'ds') or '0')==sec then dn=tonumber(redis.call('HGET',s,'dn') or '0')+1 end\n"
	"    redis.call('HSET',s,'ds',sec,'dn',dn)\n"
	"    if dn>drate then redis.call('HSET',s,'on',now+30000) on=true end\n"
	"    redis.call('EXPIRE',s,life)\n"
	"  end\n"
	"  return {on and 1 or 0}\n"
	"end\n"
	"if op=='spent' then\n"
	"  redis.call('ZREM',a,h) redis.call('ZREM',q,h) redis.call('HDEL',k,h)\n"
	"  return {1}\n"
	"end\n"
	"local created=0\n"
	"local tno=redis.call('HGET',k,h)\n"
	"if not tno then\n"
	"  if op~='join' then return {'none',0,0,0,0} end\n"
	"  tno=redis.call('HINCRBY',s,'seq',1) created=1\n"
	"  redis.call('HSET',k,h,tno)\n"
	"end\n"
	/* a ticket neither in line nor admitted: new, or its admission
	 * lapsed unused (then it goes back in line, last) */
	"if (phase=='live' or phase=='upcoming') and not redis.call('ZSCORE',a,h) and not redis.call('ZSCORE',q,h) then\n"
	"  local score\n"
	"  if created==1 and now<shuf then score=rnd else score=1e12+redis.call('HINCRBY',s,'seq',1) end\n"
	"  redis.call('ZADD',q,score,h)\n"
	"  qn=qn+1\n"
	"end\n"
	/* the next batch, when due (none before the shuffle window closes:
	 * everyone who came in it competes at random) */
	"if phase=='live' and now>=shuf and qn>0 then\n"
	"  local n=0\n"
	"  if not on then n=qn else\n"
	"    local last=tonumber(redis.call('HGET',s,'last') or '0')\n"
	"    if now-last>=bms then n=batch redis.call('HSET',s,'last',now) end\n"
	"  end\n"
	"  if cap>=0 then local room=cap-redis.call('ZCARD',a) if n>room then n=room end end\n"
	"  if n>0 then\n"
	"    local p=redis.call('ZPOPMIN',q,n)\n"
	"    for i=1,#p,2 do redis.call('ZADD',a,now+ttl,p[i]) end\n"
	"  end\n"
	"end\n"
	"for _,x in ipairs({q,a,k,s}) do redis.call('EXPIRE',x,life) end\n"
	"local exp=redis.call('ZSCORE',a,h)\n"
	"if exp then return {'admitted',0,tno,exp,created} end\n"
	"local r=redis.call('ZRANK',q,h)\n"
	"return {phase,r and (r+1) or 0,tno,0,created}\n";

/* Runs a Lua script by its SHA (EVALSHA: the text goes over the wire once
 * per worker and Redis restart, not with every poll): argv[0..1] are set
 * here. sha: the worker's copy of the script's SHA, "" until loaded. */
static enum err script(struct kv *kv, struct arena *a, const char *text, char sha[41], int argc,
		       const char **argv, size_t *len, redisReply **out)
{
	redisReply *r = NULL;
	enum err e;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (!sha[0]) {
			if ((e = kv_cmd(kv, a, &r, "SCRIPT LOAD %s", text)))
				return e;
			if (!r || r->type != REDIS_REPLY_STRING || r->len != 40)
				return E_KV;
			memcpy(sha, r->str, 40);
			sha[40] = '\0';
		}
		argv[0] = "EVALSHA";
		argv[1] = sha;
		len[0] = 7;
		len[1] = 40;
		e = kv_cmdv(kv, a, out, argc, argv, len);
		if (e != E_KV)
			return e;
		sha[0] = '\0';	/* NOSCRIPT: Redis restarted or flushed its scripts */
	}
	return E_KV;
}

static const char *phase_of(const struct wr_sale *s)
{
	switch (s->state) {
	case SALE_UPCOMING: return "upcoming";
	case SALE_LIVE: return s->left > 0 ? "live" : "soldout";
	default: return "ended";
	}
}

static int64_t reply_int(const redisReply *r)
{
	if (!r)
		return 0;
	if (r->type == REDIS_REPLY_INTEGER)
		return r->integer;
	if (r->type == REDIS_REPLY_STRING)
		return strtoll(r->str, NULL, 10);
	return 0;
}

static enum err step(struct kv *kv, struct arena *a, const struct wr_sale *s, const char *op, const char *holder,
		     int64_t now_ms, redisReply **out)
{
	int64_t start_ms = s->starts_at * 1000;
	long batch = (long)wr_set.admit_rate * wr_set.batch_ms / 1000;
	int64_t life = s->ends_at - now_ms / 1000 + 3600;
	static char sha[41];
	char args[13][32];
	const char *argv[20];
	size_t len[20];

	*out = NULL;
	if (batch < 1)
		batch = 1;
	if (life < 60)
		life = 60;
	if (holder && strlen(holder) >= sizeof(args[1]))
		return E_INVAL;
	argv[2] = "4";
	argv[3] = arena_printf(a, "wr:%lld:q", (long long)s->id);
	argv[4] = arena_printf(a, "wr:%lld:a", (long long)s->id);
	argv[5] = arena_printf(a, "wr:%lld:k", (long long)s->id);
	argv[6] = arena_printf(a, "wr:%lld:s", (long long)s->id);
	if (!argv[3] || !argv[4] || !argv[5] || !argv[6])
		return E_NOMEM;
	snprintf(args[0], sizeof(args[0]), "%s", op);
	snprintf(args[1], sizeof(args[1]), "%s", holder ? holder : "-");
	snprintf(args[2], sizeof(args[2]), "%lld", (long long)now_ms);
	snprintf(args[3], sizeof(args[3]), "%lld", (long long)(start_ms + wr_set.shuffle_s * 1000LL));
	snprintf(args[4], sizeof(args[4]), "%ld", batch);
	snprintf(args[5], sizeof(args[5]), "%d", wr_set.batch_ms);
	snprintf(args[6], sizeof(args[6]), "%lld", wr_set.admit_ttl * 1000LL);
	snprintf(args[7], sizeof(args[7]), "%lld", (long long)s->left);
	snprintf(args[8], sizeof(args[8]), "%s", phase_of(s));
	snprintf(args[9], sizeof(args[9]), "%u", randombytes_uniform(1000000000u));
	snprintf(args[10], sizeof(args[10]), "%lld", (long long)(start_ms + wr_set.room_s * 1000LL));
	snprintf(args[11], sizeof(args[11]), "%d", wr_set.admit_rate);
	snprintf(args[12], sizeof(args[12]), "%lld", (long long)life);
	for (int i = 0; i < 13; i++)
		argv[7 + i] = args[i];
	for (int i = 2; i < 20; i++)
		len[i] = strlen(argv[i]);
	return script(kv, a, step_lua, sha, 20, argv, len, out);
}

/* The time to wait for place: the batches before it, and the rest of the
 * shuffle window when it is still open. */
static int wait_for(const struct wr_sale *s, long place, int64_t now_ms)
{
	long batch = (long)wr_set.admit_rate * wr_set.batch_ms / 1000;
	int64_t open_ms = s->starts_at * 1000 + wr_set.shuffle_s * 1000LL - now_ms;
	int64_t ms;

	if (batch < 1)
		batch = 1;
	ms = ((place + batch - 1) / batch) * (int64_t)wr_set.batch_ms;
	if (open_ms > 0)
		ms += open_ms;
	return (int)((ms + 999) / 1000);
}

static enum err ticket_step(struct kv *kv, struct arena *a, const struct wr_sale *s, const char *op,
			    const char *holder, int64_t now_ms, struct wr_ticket *t)
{
	redisReply *r = NULL;
	const char *st;
	enum err e;

	memset(t, 0, sizeof(*t));
	if ((e = step(kv, a, s, op, holder, now_ms, &r)))
		return e;
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 5 || r->element[0]->type != REDIS_REPLY_STRING)
		return E_KV;
	st = r->element[0]->str;
	t->place = (long)reply_int(r->element[1]);
	t->number = reply_int(r->element[2]);
	t->created = (int)reply_int(r->element[4]);
	if (!strcmp(st, "none"))
		t->status = WR_NONE;
	else if (!strcmp(st, "admitted")) {
		t->status = WR_ADMITTED;
		t->expires = reply_int(r->element[3]) / 1000;
	} else if (!strcmp(st, "live"))
		t->status = WR_WAITING;
	else if (!strcmp(st, "upcoming"))
		t->status = WR_UPCOMING;
	else if (!strcmp(st, "soldout"))
		t->status = WR_SOLDOUT;
	else
		t->status = WR_ENDED;
	if (t->status != WR_WAITING && t->status != WR_UPCOMING) {
		t->place = 0;	/* sold out, over, admitted: no place to show */
	} else {
		t->wait_s = wait_for(s, t->place, now_ms);
		if (t->status == WR_UPCOMING && s->starts_at * 1000 > now_ms)
			t->wait_s += (int)((s->starts_at * 1000 - now_ms + 999) / 1000);
	}
	return E_OK;
}

enum err waitroom_join_ticket(struct kv *kv, struct arena *a, const struct wr_sale *s, const char *holder,
			      int64_t now_ms, struct wr_ticket *t)
{
	return ticket_step(kv, a, s, "join", holder, now_ms, t);
}

enum err waitroom_look(struct kv *kv, struct arena *a, const struct wr_sale *s, const char *holder,
		       int64_t now_ms, struct wr_ticket *t)
{
	return ticket_step(kv, a, s, "look", holder, now_ms, t);
}

int waitroom_holding(struct kv *kv, struct arena *a, const struct wr_sale *s, int64_t now_ms)
{
	redisReply *r = NULL;

	if (step(kv, a, s, "gate", NULL, now_ms, &r) || !r || r->type != REDIS_REPLY_ARRAY || r->elements < 1)
		return 1;
	return reply_int(r->element[0]) != 0;
}

void waitroom_spent(struct kv *kv, struct arena *a, int64_t sale_id, const char *holder)
{
	struct wr_sale s = { .id = sale_id, .state = SALE_LIVE, .ends_at = 0, .left = 0 };
	redisReply *r = NULL;

	if (step(kv, a, &s, "spent", holder, 0, &r))
		log_warn("waitroom: sale %lld: a used admission not given back (Redis)", (long long)sale_id);
}

/* ---- admissions ---- */

static void token_mac(const char *payload, char hex[33])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, config.secret, sizeof(config.secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)"adm:", 4);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)payload, strlen(payload));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, 33, mac, 16);
}

void waitroom_token(int64_t sale_id, const char *holder, int64_t expires, char *out, size_t n)
{
	char payload[WR_TOKEN_MAX], hex[33];

	snprintf(payload, sizeof(payload), "%lld.%lld.%s", (long long)sale_id, (long long)expires, holder);
	token_mac(payload, hex);
	snprintf(out, n, "%s.%s", payload, hex);
}

int waitroom_token_ok(const char *token, int64_t sale_id, const char *holder, int64_t now)
{
	char payload[WR_TOKEN_MAX], hex[33];
	const char *dot;
	long long sid, exp;
	int used = 0;
	size_t pl;

	if (!token || !holder || strlen(token) >= WR_TOKEN_MAX || !(dot = strrchr(token, '.')))
		return 0;
	pl = (size_t)(dot - token);
	if (strlen(dot + 1) != 32)
		return 0;
	memcpy(payload, token, pl);
	payload[pl] = '\0';
	if (sscanf(payload, "%lld.%lld.%n", &sid, &exp, &used) != 2 || !used)
		return 0;
	if (sid != sale_id || exp < now || strcmp(payload + used, holder))
		return 0;
	token_mac(payload, hex);
	return sodium_memcmp(hex, dot + 1, 32) == 0;
}

/* ---- token buckets ---- */

/* KEYS: the bucket. ARGV: now_ms, "per_min burst". Answers the ms to
 * wait (0: a token was taken). */
static const char bucket_lua[] =
	"local now=tonumber(ARGV[1])\n"
	"local pm,burst=string.match(ARGV[2],'(%d+) (%d+)')\n"
	"pm,burst=tonumber(pm),tonumber(burst)\n"
	"local v=redis.call('HMGET',KEYS[1],'t','at')\n"
	"local t,at=tonumber(v[1]),tonumber(v[2])\n"
	"if not t then t=burst at=now end\n"
	"t=math.min(burst,t+(now-at)*pm/60000)\n"
	"local wait=0\n"
	"if t>=1 then t=t-1 else wait=math.ceil((1-t)*60000/pm) end\n"
	"redis.call('HSET',KEYS[1],'t',tostring(t),'at',now)\n"
	"redis.call('PEXPIRE',KEYS[1],math.ceil(burst*60000/pm)+1000)\n"
	"return wait\n";

int waitroom_bucket(struct kv *kv, struct arena *a, const char *key, int per_min, int burst, int64_t now_ms)
{
	static char sha[41];
	const char *argv[6];
	size_t len[6];
	redisReply *r = NULL;

	argv[2] = "1";
	argv[3] = arena_printf(a, "b:%s", key);
	argv[4] = arena_printf(a, "%lld", (long long)now_ms);
	argv[5] = arena_printf(a, "%d %d", per_min, burst);
	if (!argv[3] || !argv[4] || !argv[5])
		return 0;
	for (int i = 2; i < 6; i++)
		len[i] = strlen(argv[i]);
	if (script(kv, a, bucket_lua, sha, 6, argv, len, &r) || !r || r->type != REDIS_REPLY_INTEGER || r->integer <= 0)
		return 0;
	return (int)((r->integer + 999) / 1000);
}
