-- Flash sales (app/sales; docs/design.md section 10). A sale offers SKUs at a
-- sale price, a quantity of each for the sale and a limit per customer,
-- between starts_at and ends_at. Its units are the inventory module's:
-- when the sale opens they are set aside in shard rows (stock_shards,
-- migration 121) so concurrent checkouts do not queue on one row.
CREATE TABLE IF NOT EXISTS sales (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	-- The seller whose SKUs it offers; NULL: an admin's sale (any seller's SKUs).
	seller_id BIGINT UNSIGNED NULL,
	name VARCHAR(120) NOT NULL,
	starts_at DATETIME(3) NOT NULL,
	ends_at DATETIME(3) NOT NULL,
	-- scheduled ▶ live (units set aside) ▶ ended (units left back on the
	-- shelf); cancelled before or during it.
	status ENUM('scheduled','live','ended','cancelled') NOT NULL DEFAULT 'scheduled',
	-- How many shard rows each SKU's units are spread over.
	shards TINYINT UNSIGNED NOT NULL DEFAULT 8 CHECK (shards BETWEEN 1 AND 64),
	created_by BIGINT UNSIGNED NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
	CHECK (ends_at > starts_at),
	KEY ix_sales_status (status, starts_at),
	KEY ix_sales_seller (seller_id, starts_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS sale_items (
	sale_id BIGINT UNSIGNED NOT NULL,
	sku_id BIGINT UNSIGNED NOT NULL,
	product_id BIGINT UNSIGNED NOT NULL,
	price BIGINT NOT NULL CHECK (price > 0),		-- minor units, the sale price
	quantity INT NOT NULL CHECK (quantity > 0),		-- units for the sale
	per_customer INT NOT NULL CHECK (per_customer > 0),
	-- Units the inventory module set aside for it when it opened.
	allocated INT NOT NULL DEFAULT 0 CHECK (allocated >= 0),
	PRIMARY KEY (sale_id, sku_id),
	KEY ix_sale_items_sku (sku_id),
	KEY ix_sale_items_product (product_id),
	CONSTRAINT fk_sale_items_sale FOREIGN KEY (sale_id) REFERENCES sales (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Units each customer bought of a sale item (the per-customer limit),
-- counted in the transaction that holds them and given back when the order
-- is released. buyer: 'u:<user id>' or 'e:<hash of a guest's email>'.
CREATE TABLE IF NOT EXISTS sale_buyers (
	sale_id BIGINT UNSIGNED NOT NULL,
	sku_id BIGINT UNSIGNED NOT NULL,
	buyer VARCHAR(80) NOT NULL,
	units INT NOT NULL DEFAULT 0 CHECK (units >= 0),
	PRIMARY KEY (sale_id, sku_id, buyer)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A cart line added during a sale names it: it keeps the sale price only
-- while the sale lasts and units of it remain (app/sales).
ALTER TABLE cart_items ADD COLUMN IF NOT EXISTS sale_id BIGINT UNSIGNED NULL;
-- The sale an order line was bought in (its unit price is the sale's).
ALTER TABLE order_lines ADD COLUMN IF NOT EXISTS sale_id BIGINT UNSIGNED NULL;
