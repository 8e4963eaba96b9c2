-- The order archive (app/archive, issue 19, migration 158): where the
-- batches are in their walk over closed orders, and the one lock they
-- take turns on. A batch (the job's or `shopctl archive run`'s) locks this
-- row first, reads its candidates after the position kept here (by
-- status, in the order of ix_orders_closed: updated_at, then id), moves
-- them and saves the position after the last it looked at, all in one
-- transaction: two batches never read the same candidates (one waits, or
-- the job skips its round), and a batch never reads again the index
-- entries of the orders earlier batches moved (deleted rows the purge has
-- not removed yet). When every status is walked the position goes back
-- to the start, so an order skipped (held by someone, a live hold) is
-- looked at again in the next pass.
CREATE TABLE IF NOT EXISTS archive_cursor (
	name VARCHAR(16) CHARACTER SET ascii NOT NULL PRIMARY KEY,
	status_no TINYINT UNSIGNED NOT NULL DEFAULT 0,	-- index in the closed statuses (archive.c)
	after_ts VARCHAR(32) CHARACTER SET ascii NOT NULL DEFAULT '',	-- updated_at of the last looked at ('' the start)
	after_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
	passes BIGINT UNSIGNED NOT NULL DEFAULT 0,	-- walks completed
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
INSERT IGNORE INTO archive_cursor (name) VALUES ('orders');
