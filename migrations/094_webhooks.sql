-- Webhooks to third parties (app/webhook; docs/api.md "Webhooks").
-- An endpoint: where to POST, which event types, the secret the shop signs
-- with (made by the shop, shown once). enabled goes to 0 after a delivery
-- failed for its whole retry window with no success in between (or by the
-- admin); failures counts failed attempts in a row (any 2xx resets it).
CREATE TABLE IF NOT EXISTS webhook_endpoints (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	url VARCHAR(2048) NOT NULL,
	events VARCHAR(1024) CHARACTER SET ascii NOT NULL,
	secret VARCHAR(100) CHARACTER SET ascii NOT NULL,
	enabled TINYINT(1) NOT NULL DEFAULT 1,
	disabled_reason VARCHAR(255) NULL,
	disabled_at DATETIME(3) NULL,
	failures INT UNSIGNED NOT NULL DEFAULT 0,
	last_success_at DATETIME(3) NULL,
	created_by BIGINT UNSIGNED NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per (endpoint, event): written by the "webhooks" consumer in one
-- transaction for every matching enabled endpoint, so a replayed event
-- makes no second delivery. body is the exact JSON sent on every attempt.
-- The delivery job claims due rows (status pending, next_at passed) with
-- SELECT ... FOR UPDATE SKIP LOCKED and moves next_at ahead as a lease.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	endpoint_id BIGINT UNSIGNED NOT NULL,
	event_id BIGINT UNSIGNED NOT NULL,
	event_type VARCHAR(64) CHARACTER SET ascii NOT NULL,
	body MEDIUMTEXT NOT NULL,
	status ENUM('pending','delivered','failed') NOT NULL DEFAULT 'pending',
	attempts INT UNSIGNED NOT NULL DEFAULT 0,
	next_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	last_code INT NULL,
	last_ms INT UNSIGNED NULL,
	last_error VARCHAR(255) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	finished_at DATETIME(3) NULL,
	UNIQUE KEY uq_webhook_deliveries_event (endpoint_id, event_id),
	KEY ix_webhook_deliveries_due (status, next_at),
	CONSTRAINT fk_webhook_deliveries_endpoint FOREIGN KEY (endpoint_id)
		REFERENCES webhook_endpoints (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every attempt: the log the admin reads per endpoint.
CREATE TABLE IF NOT EXISTS webhook_attempts (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	delivery_id BIGINT UNSIGNED NOT NULL,
	attempt INT UNSIGNED NOT NULL,
	ok TINYINT(1) NOT NULL,
	http_code INT NULL,
	ms INT UNSIGNED NOT NULL,
	error VARCHAR(255) NULL,
	at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	KEY ix_webhook_attempts_delivery (delivery_id, id),
	CONSTRAINT fk_webhook_attempts_delivery FOREIGN KEY (delivery_id)
		REFERENCES webhook_deliveries (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
