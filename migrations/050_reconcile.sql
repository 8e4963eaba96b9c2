-- Reconciliation (app/reconcile): what the payment and stock checks found
-- and what they repaired, one row per finding, kept for the operators.
CREATE TABLE IF NOT EXISTS reconcile_log (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	kind ENUM('payment','stock') NOT NULL,
	subject VARCHAR(64) NOT NULL,		-- "pi_...", "order:12", "sku:7/1"
	finding VARCHAR(255) NOT NULL,
	action VARCHAR(255) NOT NULL DEFAULT '',	-- what was done ('' when only reported)
	outcome ENUM('repaired','reported','failed') NOT NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	KEY ix_reconcile_log_kind (kind, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Stock is conserved per SKU and warehouse:
--   SUM(stock_movements.delta) = available + reserved + committed + shipped
-- (shipped: units of holds in state 'shipped'). Until now the catalog import
-- set `available` without a movement: every row's difference becomes one
-- opening movement, once, so that the rule holds from here on. A fresh
-- database has no inventory yet and gets none.
INSERT INTO stock_movements (sku_id, warehouse_id, seller_id, delta, available_after, reason, actor)
SELECT i.sku_id, i.warehouse_id, p.seller_id,
       i.available + i.reserved + i.committed + COALESCE(sh.q, 0) - COALESCE(m.d, 0),
       i.available, 'opening balance (stock from before every change was recorded)', 'migration:050'
FROM inventory i
JOIN skus s ON s.id = i.sku_id
JOIN products p ON p.id = s.product_id
LEFT JOIN (SELECT sku_id, warehouse_id, SUM(quantity) AS q FROM holds WHERE state = 'shipped'
	   GROUP BY sku_id, warehouse_id) sh ON sh.sku_id = i.sku_id AND sh.warehouse_id = i.warehouse_id
LEFT JOIN (SELECT sku_id, warehouse_id, SUM(delta) AS d FROM stock_movements
	   GROUP BY sku_id, warehouse_id) m ON m.sku_id = i.sku_id AND m.warehouse_id = i.warehouse_id
WHERE i.available + i.reserved + i.committed + COALESCE(sh.q, 0) <> COALESCE(m.d, 0);
