-- What mail a person wants beyond the transactional ones (order, payment,
-- shipping, refunds are always sent). No row: the defaults (every one on).
CREATE TABLE IF NOT EXISTS notify_prefs (
	user_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
	cart_reminders TINYINT(1) NOT NULL DEFAULT 1,
	low_stock TINYINT(1) NOT NULL DEFAULT 1,
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
	CONSTRAINT fk_notify_prefs_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
