-- Fulfillment (app/fulfillment): every order line carries its own state, the
-- shipment that took it and what has been refunded of it; holds get a
-- 'shipped' state for units that left the warehouse (no longer committed).
ALTER TABLE order_lines
	ADD COLUMN IF NOT EXISTS state ENUM('open','picked','shipped','delivered','returned','cancelled')
		NOT NULL DEFAULT 'open',
	ADD COLUMN IF NOT EXISTS shipment_id BIGINT UNSIGNED NULL,
	ADD COLUMN IF NOT EXISTS refunded_qty INT NOT NULL DEFAULT 0,
	ADD COLUMN IF NOT EXISTS refunded_amount BIGINT NOT NULL DEFAULT 0,
	ADD INDEX IF NOT EXISTS ix_order_lines_shipment (shipment_id);
ALTER TABLE holds MODIFY state ENUM('held','committed','released','shipped') NOT NULL DEFAULT 'held';
