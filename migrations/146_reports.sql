-- Reports (app/reports, issue 19): the conversion funnel and the searches
-- people make, counted per day in Redis by the request handlers (cheap: one
-- HINCRBY) and flushed here by the "report-counters" job. A flush adds the
-- counts it took from Redis (taken atomically with a rename), so nothing is
-- counted twice.
--   kind 'view': a product page seen (key ''); 'cart': an add to cart
--   (key ''); 'search': a query (key: the query as typed, lower case, cut
--   to 100 characters); 'search_empty': the same for a query with no result.
CREATE TABLE IF NOT EXISTS report_counts (
	day DATE NOT NULL,
	kind ENUM('view','cart','search','search_empty') NOT NULL,
	k VARCHAR(100) NOT NULL DEFAULT '',
	n BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (day, kind, k)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Each flush of a Redis hash is applied once: its token is written in the
-- transaction that adds its counts, so a flush retried after a crash
-- between the commit and the hash's deletion adds nothing twice.
CREATE TABLE IF NOT EXISTS report_flushes (
	token VARCHAR(64) CHARACTER SET ascii NOT NULL PRIMARY KEY,
	flushed_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	KEY ix_report_flushes_at (flushed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
