-- Issue 19's shared ground (returns, the order archive, the admin console,
-- seller payouts, prices in the shopper's currency): what more than one of
-- those modules relies on. Each module's own tables are in its migrations:
-- returns 131-134, archive 135-139, console 140-144, payouts and reports
-- 145-149, currencies 150-154.

-- The currency an order was charged in is orders.currency (since the first
-- release); fx_rate is the rate used: units of that currency per unit of
-- the shop's currency (1 for the shop's own), fx_date the day of the rate.
-- Sellers' ledgers convert an order's amounts back with it
-- (app/fx/fx.h fx_to_shop).
ALTER TABLE orders ADD COLUMN IF NOT EXISTS fx_rate DECIMAL(20,10) NOT NULL DEFAULT 1 CHECK (fx_rate > 0);
ALTER TABLE orders ADD COLUMN IF NOT EXISTS fx_date DATE NULL;

-- The order archive (app/archive): closed orders move, in small batches, to
-- twins of their hot tables in the same schema, so that a move is one local
-- transaction and a read of both places is one UNION ALL. A migration that
-- adds a column to one of these hot tables adds it to its twin too.
CREATE TABLE IF NOT EXISTS orders_archive LIKE orders;
CREATE TABLE IF NOT EXISTS order_lines_archive LIKE order_lines;
CREATE TABLE IF NOT EXISTS order_events_archive LIKE order_events;
CREATE TABLE IF NOT EXISTS holds_archive LIKE holds;
CREATE TABLE IF NOT EXISTS shipments_archive LIKE shipments;
CREATE TABLE IF NOT EXISTS refunds_archive LIKE refunds;
CREATE TABLE IF NOT EXISTS refund_lines_archive LIKE refund_lines;

-- Reads that span both places (reports, exports, a shopper's history).
CREATE OR REPLACE VIEW orders_all AS
	SELECT * FROM orders UNION ALL SELECT * FROM orders_archive;
CREATE OR REPLACE VIEW order_lines_all AS
	SELECT * FROM order_lines UNION ALL SELECT * FROM order_lines_archive;

-- Returns (app/returns): a shopper's request to send back lines of a
-- delivered order. The returns module adds its columns and tables in
-- 131-134; an open return (requested, approved, in_transit, received)
-- keeps its order out of the archive.
CREATE TABLE IF NOT EXISTS returns (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	order_id BIGINT UNSIGNED NOT NULL,
	user_id BIGINT UNSIGNED NOT NULL,
	seller_id INT UNSIGNED NOT NULL,
	status ENUM('requested','approved','rejected','in_transit','received','refunded','cancelled')
		NOT NULL DEFAULT 'requested',
	reason VARCHAR(500) NOT NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
	KEY ix_returns_order (order_id, id),
	KEY ix_returns_seller (seller_id, status, id),
	KEY ix_returns_user (user_id, id),
	KEY ix_returns_status (status, updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE IF NOT EXISTS return_lines (
	return_id BIGINT UNSIGNED NOT NULL,
	line_no SMALLINT UNSIGNED NOT NULL,
	quantity INT NOT NULL CHECK (quantity > 0),
	PRIMARY KEY (return_id, line_no),
	CONSTRAINT fk_return_lines_return FOREIGN KEY (return_id) REFERENCES returns (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The admin audit log (app/console/audit.h): every admin action, who, when,
-- what, and the thing before and after (JSON), searchable.
CREATE TABLE IF NOT EXISTS audit_log (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	actor VARCHAR(64) NOT NULL,		-- "user:12", "shopctl"
	action VARCHAR(64) NOT NULL,		-- "promo.create", "order.refund", ...
	target VARCHAR(128) NOT NULL DEFAULT '',	-- "promo:7", "order:123"
	before_json MEDIUMTEXT NULL,
	after_json MEDIUMTEXT NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	KEY ix_audit_created (created_at, id),
	KEY ix_audit_target (target, id),
	KEY ix_audit_actor (actor, id),
	KEY ix_audit_action (action, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
