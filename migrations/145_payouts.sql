-- Seller payouts (app/payouts, issue 19): commission rates, the sellers'
-- ledger and payout statements. Money in the shop's currency (minor units),
-- converted from an order's currency with its fx_rate (app/fx fx_to_shop).

-- Commission in basis points (1000 = 10 %). The rate of a line: the
-- seller's own if set, else its product's category's (the nearest ancestor
-- with one), else the shop's row, else SHOP_COMMISSION_BPS (default 1000).
CREATE TABLE IF NOT EXISTS commission_rates (
	scope ENUM('shop','category','seller') NOT NULL,
	scope_id BIGINT UNSIGNED NOT NULL DEFAULT 0,	-- 0 for the shop
	bps INT NOT NULL CHECK (bps BETWEEN 0 AND 10000),
	updated_by VARCHAR(64) NOT NULL DEFAULT '',
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
	PRIMARY KEY (scope, scope_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per order line and money movement: a captured line credits its
-- seller (kind 'sale', source "shipment:<id>:<line>"), a refunded one
-- debits (kind 'refund', source "refund:<id>:<line>"). The source is unique,
-- so a replayed or re-delivered event writes nothing twice. amount is the
-- line's money in the order's currency (signed), gross/commission/net the
-- shop's currency (signed: a refund is negative). statement_id is set when
-- a payout period closes over the row.
CREATE TABLE IF NOT EXISTS seller_ledger (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	seller_id INT UNSIGNED NOT NULL,
	kind ENUM('sale','refund') NOT NULL,
	source VARCHAR(64) NOT NULL,
	event_id BIGINT UNSIGNED NOT NULL,
	order_id BIGINT UNSIGNED NOT NULL,
	line_no SMALLINT UNSIGNED NOT NULL,
	ref_id BIGINT UNSIGNED NOT NULL,		-- the shipment or refund
	quantity INT NOT NULL,
	currency CHAR(3) NOT NULL,
	amount BIGINT NOT NULL,
	fx_rate DECIMAL(20,10) NOT NULL DEFAULT 1,
	gross BIGINT NOT NULL,
	commission BIGINT NOT NULL,
	net BIGINT NOT NULL,
	bps INT NOT NULL,
	statement_id BIGINT UNSIGNED NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	UNIQUE KEY uq_seller_ledger_source (source),
	KEY ix_seller_ledger_open (statement_id, created_at),
	KEY ix_seller_ledger_seller (seller_id, statement_id, id),
	KEY ix_seller_ledger_line (order_id, line_no, id),
	CONSTRAINT ck_seller_ledger_net CHECK (net = gross - commission)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A closed payout period of one seller: the entries created before
-- period_end not in an earlier statement. opening is the previous
-- statement's carry (a negative balance carries over), closing = opening +
-- net; payout what is paid (never negative), carry what moves on (never
-- positive). pending until an admin (or `shopctl payouts pay`) marks it
-- paid; a statement with nothing to pay is born paid.
CREATE TABLE IF NOT EXISTS payout_statements (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	seller_id INT UNSIGNED NOT NULL,
	period_start DATETIME(3) NOT NULL,
	period_end DATETIME(3) NOT NULL,
	currency CHAR(3) NOT NULL,
	entries INT NOT NULL,
	gross BIGINT NOT NULL,
	commission BIGINT NOT NULL,
	net BIGINT NOT NULL,
	opening BIGINT NOT NULL,
	closing BIGINT NOT NULL,
	payout BIGINT NOT NULL CHECK (payout >= 0),
	carry BIGINT NOT NULL CHECK (carry <= 0),
	status ENUM('pending','paid') NOT NULL DEFAULT 'pending',
	reference VARCHAR(100) NOT NULL DEFAULT '',
	paid_by VARCHAR(64) NULL,
	paid_at DATETIME(3) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	UNIQUE KEY uq_payout_statements_period (seller_id, period_end),
	KEY ix_payout_statements_status (status, id),
	CONSTRAINT ck_payout_statements_sum CHECK (closing = opening + net AND payout + carry = closing AND (payout = 0 OR carry = 0))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
