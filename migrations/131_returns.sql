-- Returns (app/returns; docs/design.md section 11, "Returns"): the columns
-- a return gathers on its way (the seller's decision, the parcel back, the
-- inspection, the refund), the return windows (data: per category,
-- overridable per seller) and the seller's remembered return address.
--
-- Status: requested -> approved | rejected; approved -> in_transit (the
-- carrier's first scan of the label) -> received (the seller's act, after
-- inspection: restocked or written off; the refund row is made in that
-- transaction) -> refunded (the gateway refunded). arrived_at is the
-- carrier's "delivered" scan: the status stays in_transit for the seller.
ALTER TABLE returns ADD COLUMN IF NOT EXISTS window_ends_at DATETIME NULL;
ALTER TABLE returns ADD COLUMN IF NOT EXISTS currency CHAR(3) NOT NULL DEFAULT 'USD';
-- What the lines come to (fulfillment.h's per-line rule) when asked;
-- the refund's own amount once received.
ALTER TABLE returns ADD COLUMN IF NOT EXISTS amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE returns ADD COLUMN IF NOT EXISTS return_address VARCHAR(500) NULL;
ALTER TABLE returns ADD COLUMN IF NOT EXISTS label VARCHAR(64) NULL;	-- the carrier label's reference (its tracking number)
ALTER TABLE returns ADD COLUMN IF NOT EXISTS carrier VARCHAR(32) NULL;
ALTER TABLE returns ADD COLUMN IF NOT EXISTS reject_reason VARCHAR(500) NULL;
ALTER TABLE returns ADD COLUMN IF NOT EXISTS restock TINYINT(1) NULL;	-- 1 restocked, 0 written off
ALTER TABLE returns ADD COLUMN IF NOT EXISTS refund_id BIGINT UNSIGNED NULL;
ALTER TABLE returns ADD COLUMN IF NOT EXISTS decided_at DATETIME(3) NULL;
ALTER TABLE returns ADD COLUMN IF NOT EXISTS shipped_at DATETIME(3) NULL;
ALTER TABLE returns ADD COLUMN IF NOT EXISTS arrived_at DATETIME(3) NULL;
ALTER TABLE returns ADD COLUMN IF NOT EXISTS received_at DATETIME(3) NULL;
ALTER TABLE returns ADD COLUMN IF NOT EXISTS escalated_at DATETIME(3) NULL;
CREATE INDEX IF NOT EXISTS ix_returns_label ON returns (label);
CREATE INDEX IF NOT EXISTS ix_returns_escalate ON returns (status, escalated_at, created_at);
ALTER TABLE return_lines ADD COLUMN IF NOT EXISTS amount BIGINT NOT NULL DEFAULT 0;

-- A return's refund is a row of fulfillment's refunds (the same saga, the
-- same retry job), tied to its return: one refund per return (the unique
-- key), its gateway key "return-<id>". The archive twin gets the column too.
ALTER TABLE refunds ADD COLUMN IF NOT EXISTS return_id BIGINT UNSIGNED NULL;
CREATE UNIQUE INDEX IF NOT EXISTS uq_refunds_return ON refunds (return_id);
ALTER TABLE refunds_archive ADD COLUMN IF NOT EXISTS return_id BIGINT UNSIGNED NULL;
CREATE UNIQUE INDEX IF NOT EXISTS uq_refunds_archive_return ON refunds_archive (return_id);

-- Return windows in days after delivery. A line's window: the seller's for
-- its product's category, else the seller's for everything (category_id
-- 0), else the category's, else its parent category's, else
-- SHOP_RETURN_WINDOW_DAYS (30).
CREATE TABLE IF NOT EXISTS return_windows (
	category_id INT UNSIGNED NOT NULL PRIMARY KEY,
	days INT NOT NULL CHECK (days >= 0 AND days <= 3650)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE IF NOT EXISTS seller_return_windows (
	seller_id INT UNSIGNED NOT NULL,
	category_id INT UNSIGNED NOT NULL DEFAULT 0,
	days INT NOT NULL CHECK (days >= 0 AND days <= 3650),
	PRIMARY KEY (seller_id, category_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
-- The return address a seller approved with last, offered next time.
CREATE TABLE IF NOT EXISTS seller_return_settings (
	seller_id INT UNSIGNED NOT NULL PRIMARY KEY,
	address VARCHAR(500) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
