-- The event stream (app/events/stream.c, docs/design.md section 8).
-- seq: the order of delivery, stamped by the relay after commit (ids are
-- handed out at insert, so a lower id can commit after a higher one).
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS seq BIGINT UNSIGNED NULL AFTER id;
CREATE UNIQUE INDEX IF NOT EXISTS ux_outbox_seq ON outbox (seq);
CREATE INDEX IF NOT EXISTS ix_outbox_created ON outbox (created_at);

-- The relay's lock row and the last seq it gave.
CREATE TABLE IF NOT EXISTS event_relay (
	id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
	seq BIGINT UNSIGNED NOT NULL DEFAULT 0
) ENGINE=InnoDB;
INSERT IGNORE INTO event_relay (id, seq) VALUES (1, 0);

-- One row per consumer: its durable position (every event with seq <=
-- position was delivered), the lease that keeps two hosts from running it at
-- once, and the event it is failing on.
CREATE TABLE IF NOT EXISTS event_consumers (
	name VARCHAR(64) CHARACTER SET ascii NOT NULL PRIMARY KEY,
	position BIGINT UNSIGNED NOT NULL DEFAULT 0,
	delivered BIGINT UNSIGNED NOT NULL DEFAULT 0,
	lease_owner VARCHAR(80) CHARACTER SET ascii NULL,
	lease_until DATETIME(3) NULL,
	failing_seq BIGINT UNSIGNED NULL,
	attempts INT UNSIGNED NOT NULL DEFAULT 0,
	retry_at DATETIME(3) NULL,
	last_error VARCHAR(255) NULL,
	last_error_at DATETIME(3) NULL,
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Events a consumer gave up on after its tries: visible (`shopctl events
-- parked`) and retryable (`shopctl events retry`); retention keeps them.
CREATE TABLE IF NOT EXISTS event_parked (
	consumer VARCHAR(64) CHARACTER SET ascii NOT NULL,
	event_id BIGINT UNSIGNED NOT NULL,
	seq BIGINT UNSIGNED NOT NULL,
	attempts INT UNSIGNED NOT NULL,
	error VARCHAR(255) NOT NULL,
	parked_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (consumer, event_id),
	KEY ix_event_parked_event (event_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Events past retention, kept when SHOP_EVENTS_ARCHIVE=1.
CREATE TABLE IF NOT EXISTS outbox_archive (
	id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
	seq BIGINT UNSIGNED NULL,
	topic VARCHAR(64) NOT NULL,
	aggregate_id BIGINT UNSIGNED NOT NULL,
	payload JSON NOT NULL,
	created_at DATETIME(3) NOT NULL,
	KEY ix_outbox_archive_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
