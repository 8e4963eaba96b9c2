-- The order archive (app/archive; docs/design.md section 11): the job
-- finds closed orders by status and last change, so orders gets an index
-- on (status, updated_at); the twin gets it too, so that the two tables
-- keep the same shape (a move is INSERT ... SELECT *).
ALTER TABLE orders ADD INDEX IF NOT EXISTS ix_orders_closed (status, updated_at);
ALTER TABLE orders_archive ADD INDEX IF NOT EXISTS ix_orders_closed (status, updated_at);

-- One row per batch the job or `shopctl archive run` committed (moved > 0)
-- or found nothing to do in after skipping changed orders (skipped > 0):
-- what `shopctl archive status` shows as the last batch.
CREATE TABLE IF NOT EXISTS archive_batches (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	moved INT NOT NULL,
	skipped INT NOT NULL,
	first_order BIGINT UNSIGNED NULL,
	last_order BIGINT UNSIGNED NULL,
	actor VARCHAR(64) NOT NULL,		-- "job", "shopctl"
	ms INT NOT NULL,			-- the batch's wall time
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
