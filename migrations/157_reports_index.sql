-- Reports (app/reports, issue 19, migration 157): the report queries read
-- orders by when they were placed (created_at, with the paid statuses);
-- an index on it in both places (the hot table and its archive twin, the
-- same index: orders_all is their UNION ALL and the range is pushed into
-- each arm), so a month's report reads that month's rows, not every order.
ALTER TABLE orders ADD INDEX IF NOT EXISTS ix_orders_created (created_at, status);
ALTER TABLE orders_archive ADD INDEX IF NOT EXISTS ix_orders_created (created_at, status);

-- How far the "report-counters" job has read a log nginx writes: the
-- product views nginx answered from its microcache (one line each,
-- conf/nginx.conf). The counts and the new position commit in one
-- transaction, under this row's lock, so every line is counted once.
-- inode names the file read (a rotated log is finished from its `.1`).
CREATE TABLE IF NOT EXISTS report_logs (
	name VARCHAR(32) CHARACTER SET ascii NOT NULL PRIMARY KEY,
	inode BIGINT UNSIGNED NOT NULL DEFAULT 0,
	pos BIGINT UNSIGNED NOT NULL DEFAULT 0,
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
INSERT IGNORE INTO report_logs (name) VALUES ('views');
