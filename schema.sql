-- The storefront schema (MariaDB 10.11, InnoDB, utf8mb4).
--
-- `shopctl migrate` runs this whole file on every invocation, so every
-- statement is idempotent: tables are created only when missing and seed rows
-- are inserted with INSERT IGNORE. It is the first release's baseline; every
-- later change goes into migrations/NNN_name.sql (see migrations/README), which
-- shopctl applies once each and records in schema_migrations.
--
-- Money is BIGINT minor units plus an ISO 4217 currency code, never a float
-- (DESIGN.md section 2). Stock lives only in `inventory`; its CHECK constraints
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
	-- Sum of inventory.available over this product's SKUs and warehouses.
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

-- Seed rows. INSERT IGNORE keeps whatever an operator has changed since.
INSERT IGNORE INTO warehouses (id, code, name) VALUES
	(1, 'east', 'East Coast DC'),
	(2, 'west', 'West Coast DC');

-- The seller that owns the imported demo catalog (app/catalog/import.c).
INSERT IGNORE INTO sellers (id, slug, display_name) VALUES (1, 'demo-store', 'Demo Store');
