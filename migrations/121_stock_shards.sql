-- Hot-SKU stock (app/inventory/shards.c; docs/design.md section 2): a sale's
-- units of a SKU, set aside from one warehouse's inventory row into N shard
-- rows when the sale opens, so that concurrent checkouts lock different
-- rows. A shard row counts its units as an inventory row does (available,
-- reserved by holds waiting for payment, committed by paid holds); holds
-- taken from a shard name it (holds.sale_id, holds.shard) and every later
-- step of those holds (commit, release, ship) moves that shard's units.
-- Conservation per SKU and warehouse becomes
--   SUM(movements) = inventory(available + reserved + committed)
--                  + shards(available + reserved + committed) + shipped holds
-- `drained` is set when the sale closes (inventory_sale_drain): from then on
-- the shard takes no holds and units its holds give back (a release, a
-- cancelled line) go to the inventory row of its warehouse instead.
CREATE TABLE IF NOT EXISTS stock_shards (
	sale_id BIGINT UNSIGNED NOT NULL,
	sku_id BIGINT UNSIGNED NOT NULL,
	shard TINYINT UNSIGNED NOT NULL,
	warehouse_id SMALLINT UNSIGNED NOT NULL,
	available INT NOT NULL DEFAULT 0 CHECK (available >= 0),
	reserved INT NOT NULL DEFAULT 0 CHECK (reserved >= 0),
	committed INT NOT NULL DEFAULT 0 CHECK (committed >= 0),
	drained TINYINT UNSIGNED NOT NULL DEFAULT 0,
	PRIMARY KEY (sale_id, sku_id, shard),
	KEY ix_stock_shards_sku (sku_id, warehouse_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE holds ADD COLUMN IF NOT EXISTS sale_id BIGINT UNSIGNED NULL,
	ADD COLUMN IF NOT EXISTS shard TINYINT UNSIGNED NULL;
-- A sale's holds (the units left/sold of a sale item: inventory_sale_units).
ALTER TABLE holds ADD INDEX IF NOT EXISTS ix_holds_sale (sale_id, sku_id, state);
