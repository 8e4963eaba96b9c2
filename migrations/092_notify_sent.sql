-- app/notify: every mail the notify consumer queued, one row per (event,
-- kind, recipient), written in the transaction that queues the mail, so a
-- replayed or re-delivered event never mails twice. The job notify-prune
-- deletes rows whose events are past SHOP_NOTIFY_MAX_AGE (they mail no one).
CREATE TABLE IF NOT EXISTS notify_sent (
	event_id BIGINT UNSIGNED NOT NULL,
	kind VARCHAR(32) CHARACTER SET ascii NOT NULL,
	recipient VARCHAR(254) NOT NULL,
	mail_id BIGINT UNSIGNED NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (event_id, kind, recipient),
	KEY ix_notify_sent_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The abandoned-cart reminder: one per cart state (carts.version).
CREATE TABLE IF NOT EXISTS notify_cart_reminders (
	user_id BIGINT UNSIGNED NOT NULL,
	cart_version BIGINT UNSIGNED NOT NULL,
	mail_id BIGINT UNSIGNED NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (user_id, cart_version),
	KEY ix_notify_cart_reminders_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- SKUs below the low-stock threshold whose seller was told: the row exists
-- from the crossing down until stock is back at or above the threshold, so
-- a seller hears once per crossing.
CREATE TABLE IF NOT EXISTS notify_low_stock (
	sku_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
	available BIGINT NOT NULL,
	since DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
