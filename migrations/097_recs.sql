-- Recommendations (issue 16, app/recs): item-to-item scores from order
-- lines, precomputed. Idempotent: every statement can run again.
--
-- recs_orders: the orders counted into the scores, once each (the
-- incremental consumer and the nightly rebuild both go through it, so an
-- order is never counted twice); event_id is the OrderConfirmed event that
-- counted it (NULL when the rebuild did).
CREATE TABLE IF NOT EXISTS recs_orders (
	order_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
	event_id BIGINT UNSIGNED NULL,
	counted_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	UNIQUE KEY uq_recs_orders_event (event_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- How many counted orders hold each product.
CREATE TABLE IF NOT EXISTS recs_item_orders (
	product_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
	orders INT UNSIGNED NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- How many counted orders hold both a and b (both directions stored).
CREATE TABLE IF NOT EXISTS recs_pairs (
	a BIGINT UNSIGNED NOT NULL,
	b BIGINT UNSIGNED NOT NULL,
	orders INT UNSIGNED NOT NULL,
	PRIMARY KEY (a, b)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The top-K neighbours of each product: cosine of the order sets,
-- orders(a and b) / sqrt(orders(a) * orders(b)), pairs with at least
-- SHOP_RECS_MIN_SUPPORT orders in common. What the pages read.
CREATE TABLE IF NOT EXISTS recs_neighbours (
	product_id BIGINT UNSIGNED NOT NULL,
	neighbour_id BIGINT UNSIGNED NOT NULL,
	score DOUBLE NOT NULL,
	support INT UNSIGNED NOT NULL,
	PRIMARY KEY (product_id, neighbour_id),
	KEY ix_recs_neighbours_score (product_id, score)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Best sellers per category (category_id 0: the whole shop), top 50 each,
-- by counted orders; rebuilt nightly. The cold start of "Recommended for you".
CREATE TABLE IF NOT EXISTS recs_bestsellers (
	category_id INT UNSIGNED NOT NULL,
	pos SMALLINT UNSIGNED NOT NULL,
	product_id BIGINT UNSIGNED NOT NULL,
	orders INT UNSIGNED NOT NULL,
	PRIMARY KEY (category_id, pos)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- When the last full rebuild finished (the nightly job's clock).
CREATE TABLE IF NOT EXISTS recs_state (
	name VARCHAR(32) NOT NULL PRIMARY KEY,
	at DATETIME(3) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
