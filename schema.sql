-- The storefront schema (MariaDB 10.11, InnoDB, utf8mb4).
--
-- `shopctl migrate` runs this whole file on every invocation, so every
-- statement is idempotent: tables are created only when missing and seed rows
-- are inserted with INSERT IGNORE. It is the first release's baseline; every
-- later change goes into migrations/NNN_name.sql (see migrations/README), which
-- shopctl applies once each and records in schema_migrations.
--
-- Money is BIGINT minor units plus an ISO 4217 currency code, never a float
-- (docs/design.md section 2). Stock lives only in `inventory`; its CHECK constraints
-- back up the guarded updates that keep a unit from being sold twice.

-- Migrations applied after this baseline, by version number (the NNN prefix of
-- the file name).
CREATE TABLE IF NOT EXISTS schema_migrations (
	version INT NOT NULL PRIMARY KEY,
	applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A two-level tree: top-level departments (parent_id NULL) and their leaves.
-- Products hang off leaves; a department page lists its children's products.
CREATE TABLE IF NOT EXISTS categories (
	id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	parent_id INT UNSIGNED NULL,
	slug VARCHAR(64) NOT NULL,
	name VARCHAR(100) NOT NULL,
	position INT NOT NULL DEFAULT 0,
	UNIQUE KEY uq_categories_slug (slug),
	KEY ix_categories_parent (parent_id, position),
	CONSTRAINT fk_categories_parent FOREIGN KEY (parent_id) REFERENCES categories (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS sellers (
	id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	slug VARCHAR(64) NOT NULL,
	display_name VARCHAR(100) NOT NULL,
	user_id BIGINT UNSIGNED NULL,		-- the account that runs this seller (users.id)
	contact_email VARCHAR(254) NULL,
	status ENUM('active','suspended') NOT NULL DEFAULT 'active',
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	UNIQUE KEY uq_sellers_slug (slug),
	UNIQUE KEY uq_sellers_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per listing. price, rating_x100, review_count, rank_score and
-- stock_total are denormalized copies kept for sorting and filtering listings
-- without joins; whoever changes the source rows (skus, reviews, inventory)
-- updates them in the same transaction. The (category_id, status, <sort>, id)
-- indexes serve keyset pagination for each sort order of a category page.
CREATE TABLE IF NOT EXISTS products (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	seller_id INT UNSIGNED NOT NULL,
	category_id INT UNSIGNED NOT NULL,
	slug VARCHAR(160) NOT NULL,
	title VARCHAR(200) NOT NULL,
	description TEXT NOT NULL,
	brand VARCHAR(100) NULL,
	status ENUM('draft','active','archived') NOT NULL DEFAULT 'active',
	-- The lowest active SKU price, in minor units of `currency`.
	price BIGINT NOT NULL CHECK (price >= 0),
	currency CHAR(3) NOT NULL DEFAULT 'USD',
	-- Average review rating times 100 (0..500), so it sorts as an integer.
	rating_x100 SMALLINT UNSIGNED NOT NULL DEFAULT 0 CHECK (rating_x100 <= 500),
	review_count INT UNSIGNED NOT NULL DEFAULT 0,
	sales_count INT UNSIGNED NOT NULL DEFAULT 0,
	-- Popularity for the "relevance" (Featured) sort; see app/catalog/import.c.
	rank_score INT NOT NULL DEFAULT 0,
	-- Sum of inventory.available over this product's active SKUs and
	-- warehouses, kept by catalog_refresh_digest() with sku_digest.
	stock_total INT NOT NULL DEFAULT 0,
	-- {"Label": "value", ...} shown as the specification table.
	attributes JSON NOT NULL DEFAULT '{}' CHECK (JSON_VALID(attributes)),
	-- ["url", ...]
	images JSON NOT NULL DEFAULT '[]' CHECK (JSON_VALID(images)),
	-- Read model of the product page, so a page is one query: the active SKUs
	-- ([code, price, currency, weight_grams, stock, options] by position) and
	-- the reviews ({"dist": [n1..n5], "recent": [[rating, date, reviewer,
	-- comment], ...newest 20]}). Whoever changes SKUs, inventory or reviews
	-- calls catalog_refresh_digest() in the same transaction.
	sku_digest JSON NOT NULL DEFAULT '[]' CHECK (JSON_VALID(sku_digest)),
	review_digest JSON NOT NULL DEFAULT '{}' CHECK (JSON_VALID(review_digest)),
	thumbnail VARCHAR(500) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
	UNIQUE KEY uq_products_slug (slug),
	KEY ix_products_cat_price (category_id, status, price, id),
	KEY ix_products_cat_rating (category_id, status, rating_x100, id),
	KEY ix_products_cat_created (category_id, status, created_at, id),
	KEY ix_products_cat_rank (category_id, status, rank_score, id),
	KEY ix_products_rating (status, rating_x100, id),
	KEY ix_products_created (status, created_at, id),
	KEY ix_products_brand (brand, status),
	KEY ix_products_seller (seller_id),
	CONSTRAINT fk_products_seller FOREIGN KEY (seller_id) REFERENCES sellers (id),
	CONSTRAINT fk_products_category FOREIGN KEY (category_id) REFERENCES categories (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The sellable variants of a product; `code` is the seller's SKU code.
CREATE TABLE IF NOT EXISTS skus (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	product_id BIGINT UNSIGNED NOT NULL,
	code VARCHAR(64) NOT NULL,
	-- {"Color": "Red", ...}: what distinguishes this variant.
	options JSON NOT NULL DEFAULT '{}' CHECK (JSON_VALID(options)),
	price BIGINT NOT NULL CHECK (price >= 0),
	currency CHAR(3) NOT NULL DEFAULT 'USD',
	weight_grams INT UNSIGNED NOT NULL DEFAULT 0,
	status ENUM('active','inactive') NOT NULL DEFAULT 'active',
	position INT NOT NULL DEFAULT 0,
	UNIQUE KEY uq_skus_code (code),
	KEY ix_skus_product (product_id, position),
	CONSTRAINT fk_skus_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS warehouses (
	id SMALLINT UNSIGNED NOT NULL PRIMARY KEY,
	code VARCHAR(16) NOT NULL,
	name VARCHAR(100) NOT NULL,
	UNIQUE KEY uq_warehouses_code (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Units per SKU and warehouse: available to sell, reserved by checkout holds,
-- committed to paid orders not yet shipped. Decrements are guarded updates
-- (`... WHERE available >= ?`) or run under SELECT ... FOR UPDATE, locking rows
-- in (sku_id, warehouse_id) order; the CHECKs catch any code that forgets.
CREATE TABLE IF NOT EXISTS inventory (
	sku_id BIGINT UNSIGNED NOT NULL,
	warehouse_id SMALLINT UNSIGNED NOT NULL,
	available INT NOT NULL DEFAULT 0 CHECK (available >= 0),
	reserved INT NOT NULL DEFAULT 0 CHECK (reserved >= 0),
	committed INT NOT NULL DEFAULT 0 CHECK (committed >= 0),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
	PRIMARY KEY (sku_id, warehouse_id),
	KEY ix_inventory_warehouse (warehouse_id),
	CONSTRAINT fk_inventory_sku FOREIGN KEY (sku_id) REFERENCES skus (id) ON DELETE CASCADE,
	CONSTRAINT fk_inventory_warehouse FOREIGN KEY (warehouse_id) REFERENCES warehouses (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS reviews (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	product_id BIGINT UNSIGNED NOT NULL,
	rating TINYINT UNSIGNED NOT NULL CHECK (rating BETWEEN 1 AND 5),
	comment TEXT NOT NULL,
	reviewer_name VARCHAR(100) NOT NULL,
	created_at DATETIME(3) NOT NULL,
	KEY ix_reviews_product (product_id, created_at),
	CONSTRAINT fk_reviews_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Events written in the same transaction as the change they describe, then
-- relayed to Redis streams by `shopd jobs`, which sets relayed_at. The
-- (relayed_at, id) index finds the unrelayed rows (relayed_at IS NULL) in order.
CREATE TABLE IF NOT EXISTS outbox (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	topic VARCHAR(64) NOT NULL,
	aggregate_id BIGINT UNSIGNED NOT NULL,
	payload JSON NOT NULL CHECK (JSON_VALID(payload)),
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	relayed_at DATETIME(3) NULL,
	KEY ix_outbox_relay (relayed_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- People. Roles are flags, not a single value: a seller can also be an admin.
-- session_epoch is bumped on password change: every session records the epoch
-- it was made in, so one UPDATE ends all of a person's sessions.
CREATE TABLE IF NOT EXISTS users (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	email VARCHAR(254) NOT NULL,
	name VARCHAR(100) NOT NULL,
	password_hash VARCHAR(255) NOT NULL,
	is_seller TINYINT(1) NOT NULL DEFAULT 0,
	is_admin TINYINT(1) NOT NULL DEFAULT 0,
	session_epoch INT UNSIGNED NOT NULL DEFAULT 0,
	status ENUM('active','disabled') NOT NULL DEFAULT 'active',
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
	UNIQUE KEY uq_users_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS addresses (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	user_id BIGINT UNSIGNED NOT NULL,
	name VARCHAR(100) NOT NULL,
	line1 VARCHAR(200) NOT NULL,
	line2 VARCHAR(200) NOT NULL DEFAULT '',
	city VARCHAR(100) NOT NULL,
	region VARCHAR(100) NOT NULL DEFAULT '',
	postal_code VARCHAR(20) NOT NULL,
	country CHAR(2) NOT NULL,
	is_default TINYINT(1) NOT NULL DEFAULT 0,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	KEY ix_addresses_user (user_id, id),
	CONSTRAINT fk_addresses_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Password reset tokens: only a hash of the token is stored, so a database
-- leak does not hand out reset links.
CREATE TABLE IF NOT EXISTS password_resets (
	token_hash CHAR(64) NOT NULL PRIMARY KEY,
	user_id BIGINT UNSIGNED NOT NULL,
	expires_at DATETIME(3) NOT NULL,
	used_at DATETIME(3) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	KEY ix_resets_user (user_id),
	CONSTRAINT fk_resets_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A shopper's application to sell; an admin approves it, which creates the
-- seller row linked to the user.
CREATE TABLE IF NOT EXISTS seller_applications (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	user_id BIGINT UNSIGNED NOT NULL,
	display_name VARCHAR(100) NOT NULL,
	slug VARCHAR(64) NOT NULL,
	contact_email VARCHAR(254) NOT NULL,
	status ENUM('pending','approved','rejected') NOT NULL DEFAULT 'pending',
	decided_by BIGINT UNSIGNED NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	decided_at DATETIME(3) NULL,
	KEY ix_sellerapp_status (status, id),
	KEY ix_sellerapp_user (user_id),
	CONSTRAINT fk_sellerapp_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The one mail path of the shop: rows are written in the same transaction as
-- the event they announce and delivered by `shopd jobs` (SMTP, or the maildir
-- under var/mail/ in the embedded default).
CREATE TABLE IF NOT EXISTS mail_outbox (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	to_addr VARCHAR(254) NOT NULL,
	subject VARCHAR(200) NOT NULL,
	body TEXT NOT NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	sent_at DATETIME(3) NULL,
	attempts INT UNSIGNED NOT NULL DEFAULT 0,
	next_attempt_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	last_error VARCHAR(255) NULL,
	KEY ix_mail_pending (sent_at, next_attempt_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Carts of signed-in shoppers (app/cart/cart.c); guest carts live in Redis
-- beside the session. `carts` is one row per shopper: every change locks it
-- (INSERT ... ON DUPLICATE KEY UPDATE version = version + 1), which serializes
-- concurrent edits of one cart and gives clients a version for If-Match.
-- Carts untouched for 30 days are purged by `shopd jobs` (items cascade).
CREATE TABLE IF NOT EXISTS carts (
	user_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
	version BIGINT UNSIGNED NOT NULL DEFAULT 0,
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	KEY ix_carts_updated (updated_at),
	CONSTRAINT fk_carts_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One line per SKU. unit_price is the price when the line was added (the
-- snapshot the shopper saw); the cart shows the current price beside it when
-- they differ, until the shopper accepts the new one.
CREATE TABLE IF NOT EXISTS cart_items (
	user_id BIGINT UNSIGNED NOT NULL,
	sku_id BIGINT UNSIGNED NOT NULL,
	quantity SMALLINT UNSIGNED NOT NULL CHECK (quantity BETWEEN 1 AND 99),
	unit_price BIGINT NOT NULL CHECK (unit_price >= 0),
	added_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (user_id, sku_id),
	KEY ix_cart_items_sku (sku_id),
	CONSTRAINT fk_cart_items_cart FOREIGN KEY (user_id) REFERENCES carts (user_id) ON DELETE CASCADE,
	CONSTRAINT fk_cart_items_sku FOREIGN KEY (sku_id) REFERENCES skus (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Orders (app/order/). status follows the state machine in order.c; every
-- transition is a row in order_events. Money in minor units of currency;
-- prices, addresses and totals are snapshots taken when the order was made.
-- The shop keeps the gateway's payment id, status, brand and last four
-- digits only, never a card number.
CREATE TABLE IF NOT EXISTS orders (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	user_id BIGINT UNSIGNED NOT NULL,
	status ENUM('pending_payment','confirmed','fulfilling','shipped','delivered','payment_failed',
		    'expired','cancelled','refunded','returned') NOT NULL DEFAULT 'pending_payment',
	currency CHAR(3) NOT NULL DEFAULT 'USD',
	subtotal BIGINT NOT NULL,
	shipping BIGINT NOT NULL,
	tax BIGINT NOT NULL,
	discount BIGINT NOT NULL DEFAULT 0,
	total BIGINT NOT NULL CHECK (total >= 0),
	shipping_method VARCHAR(16) NOT NULL,
	ship_name VARCHAR(100) NOT NULL,
	ship_line1 VARCHAR(200) NOT NULL,
	ship_line2 VARCHAR(200) NOT NULL DEFAULT '',
	ship_city VARCHAR(100) NOT NULL,
	ship_region VARCHAR(100) NOT NULL DEFAULT '',
	ship_postal_code VARCHAR(20) NOT NULL DEFAULT '',
	ship_country CHAR(2) NOT NULL,
	promo_code VARCHAR(32) NULL,
	payment_intent VARCHAR(64) NULL,
	payment_status VARCHAR(32) NULL,
	card_brand VARCHAR(16) NULL,
	card_last4 CHAR(4) NULL,
	payment_error VARCHAR(255) NULL,
	hosted_url VARCHAR(512) NULL,
	-- Holds of a pending or declined order are released after this.
	hold_expires_at DATETIME(3) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
	KEY ix_orders_user (user_id, id),
	KEY ix_orders_expiry (status, hold_expires_at),
	UNIQUE KEY uq_orders_intent (payment_intent),
	CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS order_lines (
	order_id BIGINT UNSIGNED NOT NULL,
	line_no SMALLINT UNSIGNED NOT NULL,
	sku_id BIGINT UNSIGNED NOT NULL,
	product_id BIGINT UNSIGNED NOT NULL,
	seller_id INT UNSIGNED NOT NULL,
	code VARCHAR(64) NOT NULL,
	title VARCHAR(200) NOT NULL,
	options VARCHAR(255) NOT NULL DEFAULT '',
	unit_price BIGINT NOT NULL,
	quantity INT NOT NULL CHECK (quantity > 0),
	discount BIGINT NOT NULL DEFAULT 0,
	tax BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (order_id, line_no),
	KEY ix_order_lines_seller (seller_id, order_id),
	CONSTRAINT fk_order_lines_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS order_events (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	order_id BIGINT UNSIGNED NOT NULL,
	from_status VARCHAR(20) NULL,
	to_status VARCHAR(20) NOT NULL,
	actor VARCHAR(64) NOT NULL,		-- "user:12", "gateway", "sweeper", ...
	reason VARCHAR(255) NOT NULL DEFAULT '',
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	KEY ix_order_events_order (order_id, id),
	CONSTRAINT fk_order_events_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Inventory holds (docs/design.md section 2): units moved from available to
-- reserved for an order; 'held' until payment ('committed': moved on to
-- inventory.committed) or release ('released': back to available).
CREATE TABLE IF NOT EXISTS holds (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	order_id BIGINT UNSIGNED NOT NULL,
	sku_id BIGINT UNSIGNED NOT NULL,
	warehouse_id SMALLINT UNSIGNED NOT NULL,
	quantity INT NOT NULL CHECK (quantity > 0),
	state ENUM('held','committed','released') NOT NULL DEFAULT 'held',
	expires_at DATETIME(3) NOT NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	KEY ix_holds_order (order_id),
	KEY ix_holds_expiry (state, expires_at),
	KEY ix_holds_sku (sku_id, warehouse_id),
	CONSTRAINT fk_holds_order FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per checkout attempt: the saga's state and the idempotency record
-- of place-order. (user_id, idem_key) is unique, so a double submit finds
-- the first attempt; request_hash tells a replay from a different body; the
-- stored answer is given back to a replay once the saga has one.
CREATE TABLE IF NOT EXISTS checkouts (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	user_id BIGINT UNSIGNED NOT NULL,
	idem_key VARCHAR(255) NOT NULL,
	request_hash CHAR(64) NOT NULL,
	state ENUM('started','reserved','authorizing','done','failed') NOT NULL DEFAULT 'started',
	order_id BIGINT UNSIGNED NULL,
	payment_method VARCHAR(64) NULL,	-- server-side confirmation (API)
	response_status SMALLINT NULL,
	response_body MEDIUMTEXT NULL,
	attempts INT UNSIGNED NOT NULL DEFAULT 0,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
	UNIQUE KEY uq_checkouts_key (user_id, idem_key),
	KEY ix_checkouts_state (state, updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Gateway webhooks already applied (deduplication by event id).
CREATE TABLE IF NOT EXISTS payment_events (
	event_id VARCHAR(64) NOT NULL PRIMARY KEY,
	type VARCHAR(64) NOT NULL,
	payment_intent VARCHAR(64) NULL,
	received_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every change of stock a person or a program made on purpose: a seller's
-- adjustment, the initial quantity of a new SKU, a bulk import, a restock
-- after a return. (Checkout's own moves are the holds above.) Written in the
-- same transaction as the inventory change it records, with the row locked.
CREATE TABLE IF NOT EXISTS stock_movements (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	sku_id BIGINT UNSIGNED NOT NULL,
	warehouse_id SMALLINT UNSIGNED NOT NULL,
	seller_id INT UNSIGNED NOT NULL,
	delta INT NOT NULL,			-- change of inventory.available
	available_after INT NOT NULL,
	reason VARCHAR(200) NOT NULL,
	actor VARCHAR(64) NOT NULL,		-- "user:12", "import:7", "refund:order:9", ...
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	KEY ix_stock_movements_sku (sku_id, warehouse_id, id),
	KEY ix_stock_movements_seller (seller_id, id),
	CONSTRAINT fk_stock_movements_sku FOREIGN KEY (sku_id) REFERENCES skus (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Seller item management (app/seller/items.c): the attributes a product of
-- each leaf category has, shown as fields of the seller's item form and stored
-- in products.attributes ({"name": "value"}). Keyed by the category's slug,
-- not its id, so the seed rows below hold before the demo import has created
-- the categories (migrate runs first). kind: 'text' (up to 200 characters),
-- 'number' (a decimal such as 6.1) or 'choice' (one of `choices`, a JSON
-- array of strings). required: the form refuses to save without a value.
CREATE TABLE IF NOT EXISTS category_attributes (
	category_slug VARCHAR(64) NOT NULL,
	name VARCHAR(40) NOT NULL,
	kind ENUM('text','number','choice') NOT NULL DEFAULT 'text',
	choices JSON NULL CHECK (choices IS NULL OR JSON_VALID(choices)),
	required TINYINT(1) NOT NULL DEFAULT 0,
	position INT NOT NULL DEFAULT 0,
	PRIMARY KEY (category_slug, name),
	CONSTRAINT ck_category_attributes_choices CHECK (kind <> 'choice' OR JSON_LENGTH(choices) > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What every demo product carries (app/catalog/import.c), for every demo
-- leaf category; then a few that only some categories have.
INSERT IGNORE INTO category_attributes (category_slug, name, kind, choices, required, position)
SELECT c.slug, a.name, a.kind, NULL, 0, a.position FROM
	(SELECT 'beauty' AS slug
	 UNION ALL SELECT 'fragrances'
	 UNION ALL SELECT 'skin-care'
	 UNION ALL SELECT 'mens-shirts'
	 UNION ALL SELECT 'mens-shoes'
	 UNION ALL SELECT 'mens-watches'
	 UNION ALL SELECT 'tops'
	 UNION ALL SELECT 'womens-dresses'
	 UNION ALL SELECT 'womens-shoes'
	 UNION ALL SELECT 'womens-watches'
	 UNION ALL SELECT 'womens-bags'
	 UNION ALL SELECT 'womens-jewellery'
	 UNION ALL SELECT 'sunglasses'
	 UNION ALL SELECT 'smartphones'
	 UNION ALL SELECT 'laptops'
	 UNION ALL SELECT 'tablets'
	 UNION ALL SELECT 'mobile-accessories'
	 UNION ALL SELECT 'furniture'
	 UNION ALL SELECT 'home-decoration'
	 UNION ALL SELECT 'kitchen-accessories'
	 UNION ALL SELECT 'groceries'
	 UNION ALL SELECT 'motorcycle'
	 UNION ALL SELECT 'vehicle'
	 UNION ALL SELECT 'sports-accessories') c
	CROSS JOIN (SELECT 'Warranty' AS name, 'text' AS kind, 10 AS position
	 UNION ALL SELECT 'Shipping', 'text', 20
	 UNION ALL SELECT 'Return policy', 'text', 30
	 UNION ALL SELECT 'Dimensions', 'text', 40
	 UNION ALL SELECT 'Weight', 'text', 50
	 UNION ALL SELECT 'Barcode', 'text', 60
	 UNION ALL SELECT 'Tags', 'text', 70) a;
INSERT IGNORE INTO category_attributes (category_slug, name, kind, choices, required, position) VALUES
	('smartphones', 'Storage', 'choice', '["64 GB", "128 GB", "256 GB", "512 GB", "1 TB"]', 0, 1),
	('smartphones', 'Screen size (in)', 'number', NULL, 0, 2),
	('tablets', 'Storage', 'choice', '["64 GB", "128 GB", "256 GB", "512 GB", "1 TB"]', 0, 1),
	('tablets', 'Screen size (in)', 'number', NULL, 0, 2),
	('laptops', 'Storage', 'choice', '["256 GB", "512 GB", "1 TB", "2 TB"]', 0, 1),
	('laptops', 'Screen size (in)', 'number', NULL, 0, 2),
	('laptops', 'Memory (GB)', 'number', NULL, 0, 3),
	('mens-shirts', 'Material', 'text', NULL, 1, 1),
	('tops', 'Material', 'text', NULL, 1, 1),
	('womens-dresses', 'Material', 'text', NULL, 1, 1),
	('mens-shoes', 'Material', 'text', NULL, 0, 1),
	('womens-shoes', 'Material', 'text', NULL, 0, 1),
	('mens-watches', 'Case material', 'choice', '["Steel", "Titanium", "Gold", "Plastic", "Ceramic"]', 0, 1),
	('womens-watches', 'Case material', 'choice', '["Steel", "Titanium", "Gold", "Plastic", "Ceramic"]', 0, 1),
	('groceries', 'Net weight (g)', 'number', NULL, 0, 1),
	('fragrances', 'Volume (ml)', 'number', NULL, 0, 1);


-- Fulfillment (app/fulfillment): shipments, refunds and carrier events.
-- A shipment takes some picked lines of one seller; its amount is captured
-- at the gateway (key "shipment-<id>-capture-<gen>") before the lines count
-- as shipped. status 'pending' = the capture has not succeeded yet.
CREATE TABLE IF NOT EXISTS shipments (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	order_id BIGINT UNSIGNED NOT NULL,
	seller_id INT UNSIGNED NOT NULL,
	carrier VARCHAR(32) NOT NULL,
	tracking VARCHAR(64) NOT NULL,
	status ENUM('pending','shipped','delivered') NOT NULL DEFAULT 'pending',
	amount BIGINT NOT NULL CHECK (amount >= 0),	-- to capture, minor units
	final TINYINT NOT NULL DEFAULT 0,		-- the capture releases the rest
	capture_gen INT NOT NULL DEFAULT 0,		-- bumped after a definite refusal
	attempts INT NOT NULL DEFAULT 0,
	last_error VARCHAR(255) NULL,
	next_attempt_at DATETIME(3) NULL,
	shipped_at DATETIME(3) NULL,
	delivered_at DATETIME(3) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	UNIQUE KEY uq_shipments_tracking (carrier, tracking),
	KEY ix_shipments_order (order_id, id),
	KEY ix_shipments_seller (seller_id, order_id),
	KEY ix_shipments_retry (status, next_attempt_at),
	CONSTRAINT fk_shipments_order FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
-- A refund of returned units (gateway key "refund-<id>"); the units are
-- reserved on the lines (order_lines.refunded_qty) while it is pending.
CREATE TABLE IF NOT EXISTS refunds (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	order_id BIGINT UNSIGNED NOT NULL,
	seller_id INT UNSIGNED NOT NULL,
	amount BIGINT NOT NULL CHECK (amount > 0),
	status ENUM('pending','succeeded','failed') NOT NULL DEFAULT 'pending',
	gateway_id VARCHAR(64) NULL,
	last_error VARCHAR(255) NULL,
	attempts INT NOT NULL DEFAULT 0,
	next_attempt_at DATETIME(3) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	KEY ix_refunds_order (order_id, id),
	KEY ix_refunds_retry (status, next_attempt_at),
	CONSTRAINT fk_refunds_order FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE IF NOT EXISTS refund_lines (
	refund_id BIGINT UNSIGNED NOT NULL,
	line_no SMALLINT UNSIGNED NOT NULL,
	quantity INT NOT NULL CHECK (quantity > 0),
	amount BIGINT NOT NULL CHECK (amount >= 0),
	PRIMARY KEY (refund_id, line_no),
	CONSTRAINT fk_refund_lines_refund FOREIGN KEY (refund_id) REFERENCES refunds (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
-- Carrier webhooks already applied (deduplicated by the carrier's event id).
CREATE TABLE IF NOT EXISTS carrier_events (
	event_id VARCHAR(64) NOT NULL PRIMARY KEY,
	carrier VARCHAR(32) NOT NULL,
	tracking VARCHAR(64) NOT NULL,
	type VARCHAR(32) NOT NULL,
	received_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Seller: product photos (app/seller/images.c)
--
-- One row per photo of a product, in display order (position 1..n, at most
-- IMAGES_PER_ITEM). The files live outside the database, in SHOP_MEDIA_DIR,
-- named by `hash` (SHA-256 of the full-size WebP, hex): /media/ab/<hash>-full.webp,
-- -card.webp and -thumb.webp. Two rows may share a hash (the same photo on
-- two items); the files go when the last row naming them does. seller_id is
-- the product's seller, copied so every query can name the owner. Every
-- change rewrites products.images and products.thumbnail from these rows and
-- writes a ProductUpdated outbox event in the same transaction.
CREATE TABLE IF NOT EXISTS product_images (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	product_id BIGINT UNSIGNED NOT NULL,
	seller_id INT UNSIGNED NOT NULL,
	hash CHAR(64) CHARACTER SET ascii NOT NULL,
	width SMALLINT UNSIGNED NOT NULL,
	height SMALLINT UNSIGNED NOT NULL,
	alt VARCHAR(250) NOT NULL DEFAULT '',
	position SMALLINT UNSIGNED NOT NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	KEY ix_product_images_product (product_id, position),
	KEY ix_product_images_seller (seller_id, product_id),
	KEY ix_product_images_hash (hash),
	CONSTRAINT fk_product_images_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE,
	CONSTRAINT ck_product_images_hash CHECK (hash REGEXP '^[0-9a-f]{64}$')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Seller bulk import (app/seller/bulk.c). An upload is split into chunks of
-- rows when it arrives (the file itself is kept only as these chunks, in the
-- database, never in the code tree); `shopd jobs` applies one chunk per
-- transaction and advances chunks_done, so progress survives a restart and a
-- chunk is never applied twice. import_errors is the per-row report.
CREATE TABLE IF NOT EXISTS imports (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	seller_id INT UNSIGNED NOT NULL,
	user_id BIGINT UNSIGNED NOT NULL,
	format ENUM('csv','json') NOT NULL,
	filename VARCHAR(255) NOT NULL DEFAULT '',
	state ENUM('queued','running','done','failed') NOT NULL DEFAULT 'queued',
	header TEXT NULL,			-- CSV: the header record
	rows_total INT UNSIGNED NOT NULL DEFAULT 0,
	rows_done INT UNSIGNED NOT NULL DEFAULT 0,	-- processed, good or bad
	rows_failed INT UNSIGNED NOT NULL DEFAULT 0,
	rows_changed INT UNSIGNED NOT NULL DEFAULT 0,
	chunks_total INT UNSIGNED NOT NULL DEFAULT 0,
	chunks_done INT UNSIGNED NOT NULL DEFAULT 0,
	message VARCHAR(255) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	started_at DATETIME(3) NULL,
	finished_at DATETIME(3) NULL,
	KEY ix_imports_seller (seller_id, id),
	KEY ix_imports_state (state, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS import_chunks (
	import_id BIGINT UNSIGNED NOT NULL,
	chunk_no INT UNSIGNED NOT NULL,
	first_row INT UNSIGNED NOT NULL,		-- row number of its first row (1-based)
	nrows INT UNSIGNED NOT NULL,
	body MEDIUMBLOB NOT NULL,		-- CSV records, or one JSON object per line
	PRIMARY KEY (import_id, chunk_no),
	CONSTRAINT fk_import_chunks_import FOREIGN KEY (import_id) REFERENCES imports (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS import_errors (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	import_id BIGINT UNSIGNED NOT NULL,
	row_no INT UNSIGNED NOT NULL,
	column_name VARCHAR(64) NOT NULL DEFAULT '',
	message VARCHAR(500) NOT NULL,
	KEY ix_import_errors_import (import_id, row_no, id),
	CONSTRAINT fk_import_errors_import FOREIGN KEY (import_id) REFERENCES imports (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Seed rows. INSERT IGNORE keeps whatever an operator has changed since.
INSERT IGNORE INTO warehouses (id, code, name) VALUES
	(1, 'east', 'East Coast DC'),
	(2, 'west', 'West Coast DC');

-- The seller that owns the imported demo catalog (app/catalog/import.c).
INSERT IGNORE INTO sellers (id, slug, display_name) VALUES (1, 'demo-store', 'Demo Store');

-- Checkout pricing: shipping, tax, promo codes (app/checkout/pricing.c)
--
-- Amounts are cents of USD, the shop's one currency; app/checkout/pricing.h
-- states every rule (rounding, zones, allocation, promo checks). Each shopd
-- process reads the rate tables (methods, lanes, rates, tax) and keeps them
-- for PRICING_TTL seconds, so a change here shows within that time. Promo
-- rows are read fresh on every quote and locked on every redemption.

-- Shipping methods, in the order the checkout page lists them.
CREATE TABLE IF NOT EXISTS shipping_methods (
	code VARCHAR(32) NOT NULL PRIMARY KEY,
	name VARCHAR(100) NOT NULL,
	position INT NOT NULL DEFAULT 0,
	active TINYINT(1) NOT NULL DEFAULT 1
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Where a method goes: one row per method and destination zone (the zone of
-- an address comes from its country and region, see pricing_zone()), with
-- the delivery estimate in business days and the goods amount (subtotal less
-- promo discount) at or above which the method ships free (NULL = never).
-- No row: the method is not offered to that zone.
CREATE TABLE IF NOT EXISTS shipping_lanes (
	method VARCHAR(32) NOT NULL,
	zone VARCHAR(16) NOT NULL CHECK (zone IN ('US', 'US-REMOTE', 'CA', 'EU', 'INTL')),
	days_min TINYINT UNSIGNED NOT NULL,
	days_max TINYINT UNSIGNED NOT NULL,
	free_over BIGINT NULL CHECK (free_over >= 0),
	PRIMARY KEY (method, zone),
	CONSTRAINT ck_shipping_lanes_days CHECK (days_min <= days_max),
	CONSTRAINT fk_shipping_lanes_method FOREIGN KEY (method) REFERENCES shipping_methods (code) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A lane's price by weight band: an order weighing at most max_grams (and
-- more than the next smaller band) pays price. An order heavier than a lane's
-- largest band cannot go by that method (there is no per-kg surcharge).
CREATE TABLE IF NOT EXISTS shipping_rates (
	method VARCHAR(32) NOT NULL,
	zone VARCHAR(16) NOT NULL,
	max_grams INT UNSIGNED NOT NULL,
	price BIGINT NOT NULL CHECK (price >= 0),
	PRIMARY KEY (method, zone, max_grams),
	CONSTRAINT fk_shipping_rates_lane FOREIGN KEY (method, zone)
		REFERENCES shipping_lanes (method, zone) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Sales tax, GST/HST and VAT by destination: the row for the country and
-- region, else the country's row with region '', else no tax. The rate is in
-- parts per million (72500 = 7.25%): basis points cannot say Quebec's
-- 14.975%. One combined rate per destination, applied per order line to the
-- line after its share of the discount; shipping is not taxed.
CREATE TABLE IF NOT EXISTS tax_rates (
	country CHAR(2) NOT NULL,
	region VARCHAR(8) NOT NULL DEFAULT '',
	rate_ppm INT UNSIGNED NOT NULL CHECK (rate_ppm <= 1000000),
	name VARCHAR(64) NOT NULL,
	PRIMARY KEY (country, region)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Promo codes, stored upper-case (shoppers type them in any case). value is
-- basis points for 'percent' (1000 = 10%) and cents for 'fixed'. The window
-- is starts_at <= now < ends_at, NULL ends open. used_count counts the live
-- redemptions; it only changes under SELECT ... FOR UPDATE of the row and the
-- CHECK backs up the limit the way inventory's CHECKs back up stock.
CREATE TABLE IF NOT EXISTS promo_codes (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	code VARCHAR(32) NOT NULL,
	description VARCHAR(200) NOT NULL DEFAULT '',
	kind ENUM('percent','fixed') NOT NULL,
	value BIGINT NOT NULL,
	currency CHAR(3) NOT NULL DEFAULT 'USD',
	min_subtotal BIGINT NOT NULL DEFAULT 0 CHECK (min_subtotal >= 0),
	starts_at DATETIME NULL,
	ends_at DATETIME NULL,
	usage_limit INT UNSIGNED NULL,		-- NULL: unlimited
	used_count INT UNSIGNED NOT NULL DEFAULT 0,
	once_per_customer TINYINT(1) NOT NULL DEFAULT 0,
	active TINYINT(1) NOT NULL DEFAULT 1,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	UNIQUE KEY uq_promo_codes_code (code),
	CONSTRAINT ck_promo_codes_code CHECK (CAST(code AS BINARY) REGEXP '^[A-Z0-9-]{3,32}$'),
	CONSTRAINT ck_promo_codes_value CHECK (value > 0 AND (kind = 'fixed' OR value <= 10000)),
	CONSTRAINT ck_promo_codes_window CHECK (starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at),
	CONSTRAINT ck_promo_codes_uses CHECK (usage_limit IS NULL OR used_count <= usage_limit)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per order that used a promo; a cancelled, expired or failed order's
-- row is kept with released_at set (and its use given back to used_count).
-- once_user_id is user_id while the row is live and the promo is once per
-- customer, else NULL: its unique key is what finally keeps a shopper to one
-- live use, whatever a stale read said. user_id NULL is a guest's order; no
-- foreign key to users, since an order's record outlives its account.
CREATE TABLE IF NOT EXISTS promo_redemptions (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	promo_id BIGINT UNSIGNED NOT NULL,
	user_id BIGINT UNSIGNED NULL,
	order_id BIGINT UNSIGNED NOT NULL,
	once_user_id BIGINT UNSIGNED NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	released_at DATETIME(3) NULL,
	UNIQUE KEY uq_promo_redemptions_order (order_id),
	UNIQUE KEY uq_promo_redemptions_once (promo_id, once_user_id),
	KEY ix_promo_redemptions_user (promo_id, user_id),
	CONSTRAINT ck_promo_redemptions_once CHECK (once_user_id IS NULL OR
		(once_user_id = user_id AND released_at IS NULL)),
	CONSTRAINT fk_promo_redemptions_promo FOREIGN KEY (promo_id) REFERENCES promo_codes (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT IGNORE INTO shipping_methods (code, name, position) VALUES
	('standard', 'Standard shipping', 10),
	('express', 'Express shipping', 20),
	('overnight', 'Overnight shipping', 30);

INSERT IGNORE INTO shipping_lanes (method, zone, days_min, days_max, free_over) VALUES
	('standard', 'US', 3, 5, 5000),
	('standard', 'US-REMOTE', 6, 10, NULL),
	('standard', 'CA', 5, 10, NULL),
	('standard', 'EU', 7, 14, NULL),
	('standard', 'INTL', 10, 21, NULL),
	('express', 'US', 1, 2, NULL),
	('express', 'US-REMOTE', 2, 4, NULL),
	('express', 'CA', 2, 4, NULL),
	('express', 'EU', 3, 5, NULL),
	('express', 'INTL', 3, 7, NULL),
	('overnight', 'US', 1, 1, NULL);

INSERT IGNORE INTO shipping_rates (method, zone, max_grams, price) VALUES
	('standard', 'US', 500, 499), ('standard', 'US', 1000, 699),
	('standard', 'US', 2000, 899), ('standard', 'US', 5000, 1299),
	('standard', 'US', 10000, 1799), ('standard', 'US', 20000, 2499),
	('standard', 'US', 30000, 3499),
	('standard', 'US-REMOTE', 500, 999), ('standard', 'US-REMOTE', 1000, 1299),
	('standard', 'US-REMOTE', 2000, 1699), ('standard', 'US-REMOTE', 5000, 2499),
	('standard', 'US-REMOTE', 10000, 3499), ('standard', 'US-REMOTE', 20000, 4999),
	('standard', 'CA', 500, 1299), ('standard', 'CA', 1000, 1699),
	('standard', 'CA', 2000, 2299), ('standard', 'CA', 5000, 3499),
	('standard', 'CA', 10000, 4999),
	('standard', 'EU', 500, 1499), ('standard', 'EU', 1000, 1999),
	('standard', 'EU', 2000, 2799), ('standard', 'EU', 5000, 4499),
	('standard', 'EU', 10000, 6999),
	('standard', 'INTL', 500, 1999), ('standard', 'INTL', 1000, 2799),
	('standard', 'INTL', 2000, 3999), ('standard', 'INTL', 5000, 6499),
	('standard', 'INTL', 10000, 9999),
	('express', 'US', 500, 1299), ('express', 'US', 1000, 1599),
	('express', 'US', 2000, 1999), ('express', 'US', 5000, 2799),
	('express', 'US', 10000, 3999), ('express', 'US', 20000, 5999),
	('express', 'US-REMOTE', 500, 2499), ('express', 'US-REMOTE', 1000, 2999),
	('express', 'US-REMOTE', 2000, 3999), ('express', 'US-REMOTE', 5000, 5999),
	('express', 'CA', 500, 2999), ('express', 'CA', 1000, 3499),
	('express', 'CA', 2000, 4499), ('express', 'CA', 5000, 6999),
	('express', 'EU', 500, 3999), ('express', 'EU', 1000, 4999),
	('express', 'EU', 2000, 6499), ('express', 'EU', 5000, 9499),
	('express', 'INTL', 500, 4999), ('express', 'INTL', 1000, 6499),
	('express', 'INTL', 2000, 8499), ('express', 'INTL', 5000, 12499),
	('overnight', 'US', 500, 2499), ('overnight', 'US', 1000, 2999),
	('overnight', 'US', 2000, 3999), ('overnight', 'US', 5000, 5499);

-- State-level rates only (no county or city taxes); states without a row,
-- like the US as a whole, charge none.
INSERT IGNORE INTO tax_rates (country, region, rate_ppm, name) VALUES
	('US', 'AZ', 56000, 'Arizona sales tax'),
	('US', 'CA', 72500, 'California sales tax'),
	('US', 'CO', 29000, 'Colorado sales tax'),
	('US', 'DC', 60000, 'DC sales tax'),
	('US', 'FL', 60000, 'Florida sales tax'),
	('US', 'GA', 40000, 'Georgia sales tax'),
	('US', 'IL', 62500, 'Illinois sales tax'),
	('US', 'MA', 62500, 'Massachusetts sales tax'),
	('US', 'NC', 47500, 'North Carolina sales tax'),
	('US', 'NJ', 66250, 'New Jersey sales tax'),
	('US', 'NY', 40000, 'New York sales tax'),
	('US', 'OR', 0, 'Oregon (no sales tax)'),
	('US', 'PA', 60000, 'Pennsylvania sales tax'),
	('US', 'TX', 62500, 'Texas sales tax'),
	('US', 'WA', 65000, 'Washington sales tax'),
	('CA', '', 50000, 'GST'),
	('CA', 'BC', 120000, 'GST + PST'),
	('CA', 'MB', 120000, 'GST + RST'),
	('CA', 'NB', 150000, 'HST'),
	('CA', 'NL', 150000, 'HST'),
	('CA', 'NS', 140000, 'HST'),
	('CA', 'ON', 130000, 'HST'),
	('CA', 'PE', 150000, 'HST'),
	('CA', 'QC', 149750, 'GST + QST'),
	('CA', 'SK', 110000, 'GST + PST'),
	('AT', '', 200000, 'VAT'), ('BE', '', 210000, 'VAT'), ('BG', '', 200000, 'VAT'),
	('CY', '', 190000, 'VAT'), ('CZ', '', 210000, 'VAT'), ('DE', '', 190000, 'VAT'),
	('DK', '', 250000, 'VAT'), ('EE', '', 240000, 'VAT'), ('ES', '', 210000, 'VAT'),
	('FI', '', 255000, 'VAT'), ('FR', '', 200000, 'VAT'), ('GR', '', 240000, 'VAT'),
	('HR', '', 250000, 'VAT'), ('HU', '', 270000, 'VAT'), ('IE', '', 230000, 'VAT'),
	('IT', '', 220000, 'VAT'), ('LT', '', 210000, 'VAT'), ('LU', '', 170000, 'VAT'),
	('LV', '', 210000, 'VAT'), ('MT', '', 180000, 'VAT'), ('NL', '', 210000, 'VAT'),
	('PL', '', 230000, 'VAT'), ('PT', '', 230000, 'VAT'), ('RO', '', 210000, 'VAT'),
	('SE', '', 250000, 'VAT'), ('SI', '', 220000, 'VAT'), ('SK', '', 230000, 'VAT'),
	('GB', '', 200000, 'VAT'),
	('AU', '', 100000, 'GST');

-- Demo codes: a welcome code, a fixed amount off, a limited one, an expired one.
INSERT IGNORE INTO promo_codes (code, description, kind, value, min_subtotal,
		starts_at, ends_at, usage_limit, once_per_customer) VALUES
	('WELCOME10', '10% off your first order of $20 or more', 'percent', 1000, 2000, NULL, NULL, NULL, 1),
	('SAVE5', '$5 off orders of $25 or more', 'fixed', 500, 2500, NULL, NULL, NULL, 0),
	('FIRST100', '15% off, for the first 100 orders', 'percent', 1500, 0, NULL, NULL, 100, 0),
	('SUMMER24', '20% off, summer 2024', 'percent', 2000, 0,
		'2024-06-01 00:00:00', '2024-09-01 00:00:00', NULL, 0);
