/* shopctl gen-orders and recs-eval (recs.h, docs/recommendations.md).
 *
 * gen-orders N writes a purchase history with a structure the recommenders
 * should find: shoppers with tastes (two favourite categories each, where
 * 85% of their first picks come from), popularity within a category (a
 * Zipf-like weight by rank), and bundles (each product has one partner in
 * its category that joins it in half of the orders that hold it). The
 * orders are `delivered`, one SKU unit per line, with no payment: history
 * for test and bench stacks, not something to run on a shop with customers.
 *
 * recs-eval holds out each shopper's last paid order, learns from all the
 * other orders the way the shop does (cosine, minimum support, top K), and
 * asks each recommender for 10 products the shopper has not bought and that
 * are in stock: hit rate@10 (a held-out product among them) and NDCG@10. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../core/arena.h"
#include "../core/config.h"
#include "../core/err.h"
#include "../store/db.h"
#include "recs.h"

#define PAID "('confirmed', 'fulfilling', 'shipped', 'delivered')"

enum { G_PRODUCTS, G_USER, G_USER_ID, G_ORDER, G_LINE, E_ORDERS, E_PRODUCTS, NG };

static struct db_sql sql[NG] = {
	[G_PRODUCTS] = { "SELECT p.id, p.category_id, p.seller_id, s.id, s.code, p.title, s.price FROM products p "
			 "JOIN skus s ON s.id = (SELECT MIN(x.id) FROM skus x WHERE x.product_id = p.id AND x.status = 'active') "
			 "WHERE p.status = 'active' AND p.stock_total > 0 ORDER BY p.category_id, p.rank_score DESC, p.id "
			 "LIMIT 50000", 0 },
	/* An Argon2id string no password matches: they cannot sign in, and
	 * every stored password stays of the one kind the shop writes. */
	[G_USER] = { "INSERT IGNORE INTO users (email, name, password_hash) VALUES (?, ?, "
		     "'$argon2id$v=19$m=65536,t=2,p=1$bm8tc2lnbi1pbg$bm8tcGFzc3dvcmQtbWF0Y2hlcy10aGlz')", 0 },
	[G_USER_ID] = { "SELECT id FROM users WHERE email = ?", 0 },
	[G_ORDER] = { "INSERT INTO orders (user_id, status, subtotal, shipping, tax, total, shipping_method, ship_name, "
		      "ship_line1, ship_city, ship_country, created_at) VALUES (?, 'delivered', ?, 0, 0, ?, 'standard', "
		      "'Synthetic Shopper', '1 Sample St', 'Austin', 'US', NOW(3) - INTERVAL ? SECOND)", 0 },
	[G_LINE] = { "INSERT INTO order_lines (order_id, line_no, sku_id, product_id, seller_id, code, title, unit_price, "
		     "quantity) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)", 0 },
	[E_ORDERS] = { "SELECT o.user_id, o.id, l.product_id FROM orders o JOIN order_lines l ON l.order_id = o.id "
		       "WHERE o.status IN " PAID " ORDER BY o.user_id, o.id, l.product_id", 0 },
	[E_PRODUCTS] = { "SELECT p.id, p.stock_total, p.rating_x100, p.category_id FROM products p "
			 "WHERE p.status = 'active' AND p.id IN (SELECT product_id FROM order_lines)", 0 },
};

static void gen_init(void)
{
	static int done;

	if (!done++)
		db_register(sql, NG);
}

/* xorshift64*: the same history for the same seed. */
static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}
static double unif(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

struct gp {
	int64_t id, cat, seller, sku, price;
	const char *code, *title;
};

struct gcat {
	size_t first, n;	/* products [first, first + n) of the sorted list */
	double total;		/* sum of the Zipf weights */
};

/* A product of category c by rank weight 1 / (rank + 1). */
static size_t zipf_pick(const struct gcat *c)
{
	double x = unif() * c->total;

	for (size_t i = 0; i < c->n; i++) {
		x -= 1.0 / (double)(i + 1);
		if (x <= 0)
			return c->first + i;
	}
	return c->first + c->n - 1;
}

/* Its bundle partner: the neighbour in the category's ranking (0-1, 2-3, ...). */
static size_t partner(const struct gcat *c, size_t p)
{
	size_t r = p - c->first, q = r ^ 1;

	return q < c->n ? c->first + q : p;
}

int recs_gen_orders_cmd(int argc, char **argv)
{
	struct arena *a = arena_new(1 << 20), *pa = arena_new(1 << 20);	/* pa: the products, kept */
	struct db *db = NULL;
	struct db_res *r = NULL;
	struct gp *P = NULL;
	struct gcat *C = NULL;
	int64_t *users = NULL, (*taste)[2] = NULL;
	long n = 0, seed = 1, shoppers, lines = 0;
	size_t np, nc = 0, i;
	enum err e;
	int rc = 1;

	if (argc < 2 || (n = strtol(argv[1], NULL, 10)) < 1 || n > 10000000)
		return 2;
	for (int k = 2; k < argc; k++)
		if (!strcmp(argv[k], "--seed") && k + 1 < argc)
			seed = strtol(argv[++k], NULL, 10);
		else
			return 2;
	rng_state ^= (uint64_t)seed * 0x9E3779B97F4A7C15ULL;
	gen_init();
	if (!a || !pa || (e = db_open(&db))) {
		fprintf(stderr, "gen-orders: cannot connect to MariaDB\n");
		goto out;
	}
	if ((e = db_exec(db, pa, &sql[G_PRODUCTS], &r, "")) || r->nrows < 8) {
		fprintf(stderr, "gen-orders: %s\n", e ? db_error(db) : "fewer than 8 products in stock");
		goto out;
	}
	np = r->nrows;
	P = calloc(np, sizeof(*P));
	C = calloc(np, sizeof(*C));
	if (!P || !C)
		goto out;
	for (i = 0; i < np; i++) {
		P[i] = (struct gp){ db_int(r, i, 0), db_int(r, i, 1), db_int(r, i, 2), db_int(r, i, 3), db_int(r, i, 6),
				    db_cell(r, i, 4), db_cell(r, i, 5) };
		if (!nc || C[nc - 1].n == 0 || P[C[nc - 1].first].cat != P[i].cat)
			C[nc++] = (struct gcat){ i, 0, 0 };
		C[nc - 1].n++;
		C[nc - 1].total += 1.0 / (double)C[nc - 1].n;
	}
	/* Shoppers: about four orders each, two favourite categories. */
	shoppers = n / 4 < 10 ? 10 : n / 4;
	users = calloc((size_t)shoppers, sizeof(*users));
	taste = calloc((size_t)shoppers, sizeof(*taste));
	if (!users || !taste)
		goto out;
	for (long s = 0; s < shoppers; s++) {
		const char *email = arena_printf(a, "gen-%ld-%ld@shoppers.invalid", seed, s);

		if ((e = db_exec(db, a, &sql[G_USER], NULL, "ss", email, arena_printf(a, "Shopper %ld", s))) ||
		    (e = db_exec(db, a, &sql[G_USER_ID], &r, "s", email)) || !r->nrows) {
			fprintf(stderr, "gen-orders: shoppers: %s\n", db_error(db));
			goto out;
		}
		users[s] = db_int(r, 0, 0);
		taste[s][0] = (int64_t)(rnd() % nc);
		taste[s][1] = (int64_t)(rnd() % nc);
		if (s % 1000 == 999)
			arena_reset(a);
	}
	for (long o = 0; o < n; o++) {
		long s = (long)(rnd() % (uint64_t)shoppers);
		size_t items[4], ni = 0, p;
		const struct gcat *c = &C[unif() < 0.85 ? taste[s][0 + (rnd() & 1)] : (int64_t)(rnd() % nc)];
		int64_t total = 0, oid;

		items[ni++] = p = zipf_pick(c);
		if (unif() < 0.5 && partner(c, p) != p)
			items[ni++] = partner(c, p);
		if (unif() < 0.3) {
			size_t q = zipf_pick(&C[taste[s][rnd() & 1]]);
			int dup = 0;

			for (i = 0; i < ni; i++)
				dup |= items[i] == q;
			if (!dup)
				items[ni++] = q;
		}
		for (i = 0; i < ni; i++)
			total += P[items[i]].price;
		if (o % 500 == 0 && (e = db_begin(db)))
			goto fail;
		if ((e = db_exec(db, a, &sql[G_ORDER], NULL, "iiii", users[s], total, total, (int64_t)(n - o))))
			goto fail;
		oid = (int64_t)db_insert_id(db);
		for (i = 0; i < ni; i++, lines++) {
			const struct gp *g = &P[items[i]];

			if ((e = db_exec(db, a, &sql[G_LINE], NULL, "iiiiissi", oid, (int64_t)(i + 1), g->sku, g->id,
					 g->seller, g->code, g->title, g->price)))
				goto fail;
		}
		if ((o % 500 == 499 || o == n - 1) && (e = db_commit(db)))
			goto fail;
		if (o % 500 == 499)
			arena_reset(a);
	}
	printf("gen-orders: %ld orders (%ld lines) of %ld shoppers over %zu products in %zu categories\n", n, lines,
	       shoppers, np, nc);
	if ((e = recs_rebuild(db, a))) {
		fprintf(stderr, "gen-orders: the rebuild failed: %s\n", db_error(db));
		goto out;
	}
	printf("gen-orders: the recommendations were rebuilt\n");
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "gen-orders: %s (%s)\n", err_str(e), db_error(db));
	db_rollback(db);
out:
	free(P);
	free(C);
	free(users);
	free(taste);
	if (db)
		db_close(db);
	if (a)
		arena_destroy(a);
	if (pa)
		arena_destroy(pa);
	return rc;
}

/* ---- recs-eval ---- */

struct ep {
	int64_t id, stock, rating, cat;
};

struct nb {
	uint32_t j;
	float s;
};

static struct ep *EP;
static size_t nep;

static long pidx(int64_t id)
{
	size_t lo = 0, hi = nep;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (EP[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nep && EP[lo].id == id ? (long)lo : -1;
}

static int cmp_ep(const void *x, const void *y)
{
	const struct ep *a = x, *b = y;

	return (a->id > b->id) - (a->id < b->id);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return (a > b) - (a < b);
}

static int cmp_nb(const void *x, const void *y)
{
	const struct nb *a = x, *b = y;

	return a->s < b->s ? 1 : a->s > b->s ? -1 : (a->j > b->j) - (a->j < b->j);
}

/* One order of the history: its shopper and products (dense indexes). */
struct eo {
	int64_t user;
	size_t first, n;	/* into the lines array */
};

struct scored {
	uint32_t j;
	double s;
};

static int cmp_scored(const void *x, const void *y)
{
	const struct scored *a = x, *b = y;

	return a->s < b->s ? 1 : a->s > b->s ? -1 : (a->j > b->j) - (a->j < b->j);
}

struct metric {
	double hits, ndcg;
};

static void score_list(const uint32_t *rec, size_t nrec, const uint32_t *test, size_t nt, size_t k,
		       struct metric *m)
{
	double dcg = 0, idcg = 0;
	int hit = 0;

	for (size_t i = 0; i < nrec && i < k; i++)
		for (size_t t = 0; t < nt; t++)
			if (rec[i] == test[t]) {
				dcg += 1.0 / log2((double)i + 2);
				hit = 1;
				break;
			}
	for (size_t i = 0; i < nt && i < k; i++)
		idcg += 1.0 / log2((double)i + 2);
	m->hits += hit;
	m->ndcg += idcg > 0 ? dcg / idcg : 0;
}

int recs_eval_cmd(int argc, char **argv)
{
	struct arena *a = arena_new(1 << 20);
	struct db *db = NULL;
	struct db_res *r = NULL, *pr = NULL;
	uint32_t *lines = NULL, *cnt = NULL, *pop = NULL, *rowstart = NULL;
	struct nb *nbs = NULL;
	uint64_t *pairs = NULL;
	struct eo *ord = NULL;
	double *acc = NULL;
	uint32_t *touched = NULL;
	unsigned char *held = NULL, *excl = NULL;
	size_t no = 0, nl = 0, npairs = 0, users = 0, k = 10, minsup = 2, topk = 20, i, j;
	struct metric m_item = { 0 }, m_blend = { 0 }, m_pop = { 0 };
	size_t item_covered = 0;
	int rc = 1;

	for (int x = 1; x < argc; x++)
		if (!strcmp(argv[x], "--k") && x + 1 < argc)
			k = (size_t)strtoul(argv[++x], NULL, 10);
		else
			return 2;
	if (k < 1 || k > 100)
		return 2;
	/* The settings the shop's scores use (recs.c), so the evaluation
	 * measures what shoppers get. */
	minsup = (size_t)config_env_num("SHOP_RECS_MIN_SUPPORT", (long long)minsup, 1, 1000);
	topk = (size_t)config_env_num("SHOP_RECS_K", (long long)topk, 1, 200);
	gen_init();
	if (!a || db_open(&db)) {
		fprintf(stderr, "recs-eval: cannot connect to MariaDB\n");
		goto out;
	}
	if (db_exec(db, a, &sql[E_PRODUCTS], &pr, "") || db_exec(db, a, &sql[E_ORDERS], &r, "")) {
		fprintf(stderr, "recs-eval: %s\n", db_error(db));
		goto out;
	}
	nep = pr->nrows;
	EP = calloc(nep ? nep : 1, sizeof(*EP));
	lines = calloc(r->nrows ? r->nrows : 1, sizeof(*lines));
	ord = calloc(r->nrows ? r->nrows : 1, sizeof(*ord));
	if (!EP || !lines || !ord)
		goto out;
	for (i = 0; i < nep; i++)
		EP[i] = (struct ep){ db_int(pr, i, 0), db_int(pr, i, 1), db_int(pr, i, 2), db_int(pr, i, 3) };
	qsort(EP, nep, sizeof(*EP), cmp_ep);
	{
		int64_t last_oid = 0;

		for (i = 0; i < r->nrows; i++) {
			long p = pidx(db_int(r, i, 2));

			if (p < 0)
				continue;	/* no longer sold: nothing can recommend it */
			if (!no || db_int(r, i, 1) != last_oid)
				ord[no++] = (struct eo){ db_int(r, i, 0), nl, 0 };
			last_oid = db_int(r, i, 1);
			lines[nl++] = (uint32_t)p;
			ord[no - 1].n++;
		}
	}
	/* Held out: each shopper's last order, when they have two or more. */
	if (!(held = calloc(no ? no : 1, 1)))
		goto out;
	for (i = 0; i < no; i++)
		if (i > 0 && ord[i - 1].user == ord[i].user && (i + 1 == no || ord[i + 1].user != ord[i].user))
			held[i] = 1, users++;
	/* Training counts: products and pairs of the other orders. */
	cnt = calloc(nep ? nep : 1, sizeof(*cnt));
	for (i = 0; i < no; i++)
		if (!held[i])
			npairs += ord[i].n * (ord[i].n - 1);
	pairs = calloc(npairs ? npairs : 1, sizeof(*pairs));
	if (!cnt || !pairs)
		goto out;
	npairs = 0;
	for (i = 0; i < no; i++) {
		if (held[i])
			continue;
		for (j = 0; j < ord[i].n; j++) {
			cnt[lines[ord[i].first + j]]++;
			for (size_t q = 0; q < ord[i].n; q++)
				if (q != j)
					pairs[npairs++] = (uint64_t)lines[ord[i].first + j] << 32 | lines[ord[i].first + q];
		}
	}
	qsort(pairs, npairs, sizeof(*pairs), cmp_u64);
	/* Neighbours per product (CSR), cosine, support, top K. */
	rowstart = calloc(nep + 1, sizeof(*rowstart));
	nbs = calloc(npairs ? npairs : 1, sizeof(*nbs));
	if (!rowstart || !nbs)
		goto out;
	{
		size_t w = 0, x = 0;

		for (size_t p = 0; p < nep; p++) {
			size_t start = w;

			rowstart[p] = (uint32_t)w;
			while (x < npairs && (pairs[x] >> 32) == p) {
				uint32_t q = (uint32_t)pairs[x];
				size_t c = 0;

				while (x < npairs && pairs[x] == ((uint64_t)p << 32 | q))
					c++, x++;
				if (c >= minsup)
					nbs[w++] = (struct nb){ q, (float)(c / sqrt((double)cnt[p] * cnt[q])) };
			}
			qsort(nbs + start, w - start, sizeof(*nbs), cmp_nb);
			if (w - start > topk)
				w = start + topk;
		}
		rowstart[nep] = (uint32_t)w;
	}
	/* Popularity: products by training orders. */
	pop = calloc(nep ? nep : 1, sizeof(*pop));
	acc = calloc(nep ? nep : 1, sizeof(*acc));
	touched = calloc(nep ? nep : 1, sizeof(*touched));
	excl = calloc(nep ? nep : 1, 1);
	if (!pop || !acc || !touched || !excl)
		goto out;
	{
		struct scored *sc = calloc(nep ? nep : 1, sizeof(*sc));

		if (!sc)
			goto out;
		for (i = 0; i < nep; i++)
			sc[i] = (struct scored){ (uint32_t)i, cnt[i] };
		qsort(sc, nep, sizeof(*sc), cmp_scored);
		for (i = 0; i < nep; i++)
			pop[i] = sc[i].j;
		free(sc);
	}
	/* Each held-out order against the three recommenders. */
	for (i = 0; i < no; i++) {
		uint32_t bought[512], seeds[10], rec_item[100], rec_blend[100], rec_pop[100];
		size_t nb = 0, ns = 0, nt = 0, ni = 0, nbl = 0, npp = 0;
		struct scored cand[512];
		size_t ncand = 0;
		double top = 0;
		size_t first = i;

		if (!held[i])
			continue;
		while (first > 0 && ord[first - 1].user == ord[i].user)
			first--;
		/* what they bought before, most recent first */
		for (size_t o = i; o-- > first;)
			for (j = 0; j < ord[o].n && nb < 512; j++)
				if (!excl[lines[ord[o].first + j]])
					excl[lines[ord[o].first + j]] = 1, bought[nb++] = lines[ord[o].first + j];
		for (j = 0; j < nb && ns < 10; j++)
			seeds[ns++] = bought[j];
		/* summed neighbours of the seeds */
		for (j = 0; j < ns; j++)
			for (uint32_t x = rowstart[seeds[j]]; x < rowstart[seeds[j] + 1]; x++) {
				uint32_t q = nbs[x].j;

				if (excl[q] || EP[q].stock <= 0)
					continue;
				if (acc[q] == 0 && ncand < 512)
					touched[ncand++] = q;
				acc[q] += nbs[x].s;
			}
		for (j = 0; j < ncand; j++) {
			cand[j] = (struct scored){ touched[j], acc[touched[j]] };
			if (acc[touched[j]] > top)
				top = acc[touched[j]];
			acc[touched[j]] = 0;
		}
		qsort(cand, ncand, sizeof(*cand), cmp_scored);
		for (j = 0; j < ncand && ni < k; j++)
			rec_item[ni++] = cand[j].j;
		item_covered += ni > 0;
		/* the blend: relevance 70%, stock and rating 30%, then the best
		 * sellers of the seeds' categories, then of the shop */
		for (j = 0; j < ncand; j++)
			cand[j].s = recs_blend(top > 0 ? cand[j].s / top : 0, EP[cand[j].j].stock, EP[cand[j].j].rating);
		qsort(cand, ncand, sizeof(*cand), cmp_scored);
		for (j = 0; j < ncand && nbl < k; j++)
			rec_blend[nbl++] = cand[j].j, excl[cand[j].j] |= 2;
		for (size_t sd = 0; sd < ns && sd < 3 && nbl < k; sd++)
			for (j = 0; j < nep && nbl < k; j++) {
				uint32_t q = pop[j];

				if (cnt[q] == 0)
					break;
				if (!excl[q] && EP[q].stock > 0 && EP[q].cat == EP[seeds[sd]].cat)
					rec_blend[nbl++] = q, excl[q] |= 2;
			}
		for (j = 0; j < nep && nbl < k; j++)
			if (!excl[pop[j]] && EP[pop[j]].stock > 0)
				rec_blend[nbl++] = pop[j], excl[pop[j]] |= 2;
		for (j = 0; j < nep && npp < k; j++)
			if (!(excl[pop[j]] & 1) && EP[pop[j]].stock > 0)
				rec_pop[npp++] = pop[j];
		for (j = 0; j < nb; j++)
			excl[bought[j]] = 0;
		for (j = 0; j < nbl; j++)
			excl[rec_blend[j]] = 0;
		{
			uint32_t test[64];

			for (j = 0; j < ord[i].n && nt < 64; j++)
				test[nt++] = lines[ord[i].first + j];
			score_list(rec_item, ni, test, nt, k, &m_item);
			score_list(rec_blend, nbl, test, nt, k, &m_blend);
			score_list(rec_pop, npp, test, nt, k, &m_pop);
		}
	}
	if (!users) {
		printf("recs-eval: no shopper has two paid orders; nothing to hold out\n");
		rc = 0;
		goto out;
	}
	printf("recs-eval: %zu orders, %zu shoppers with a held-out last order, %zu products sold, "
	       "min support %zu, top %zu neighbours\n\n", no, users, nep, minsup, topk);
	printf("| recommender | hit rate@%zu | NDCG@%zu | shoppers with a list |\n", k, k);
	printf("| --- | ---: | ---: | ---: |\n");
	printf("| item-item (cosine of co-purchases) | %.3f | %.3f | %.1f%% |\n", m_item.hits / users,
	       m_item.ndcg / users, 100.0 * item_covered / users);
	printf("| personal blend (70%% item-item, 30%% stock and rating; best-seller fill) | %.3f | %.3f | 100%% |\n",
	       m_blend.hits / users, m_blend.ndcg / users);
	printf("| popularity (best sellers not yet bought) | %.3f | %.3f | 100%% |\n", m_pop.hits / users,
	       m_pop.ndcg / users);
	rc = 0;
out:
	free(EP);
	EP = NULL;
	free(lines);
	free(ord);
	free(held);
	free(cnt);
	free(pairs);
	free(rowstart);
	free(nbs);
	free(pop);
	free(acc);
	free(touched);
	free(excl);
	if (db)
		db_close(db);
	if (a)
		arena_destroy(a);
	return rc;
}
