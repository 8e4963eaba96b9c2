-- Back-in-stock and price-drop alerts (issue 17): one row per shopper,
-- product, SKU (0: any SKU of the product) and kind. source says how it
-- came: a shopper's explicit subscription, or a saved wishlist item (the
-- "alerts" consumer creates those lazily, the first time it looks at the
-- product after the item was saved with alerts on; app/alerts never writes
-- wishlist_items). ref_price is the price when subscribed (the saved price
-- for a wishlist item). armed = 1: the next episode mails (back in stock:
-- it was seen at zero; price drop: the price was seen at or above
-- ref_price); the consumer moves it in the same transaction as the
-- BackInStock / PriceDropped event it writes, so one mail per subscription
-- and episode. active = 0: unsubscribed (kept so that a wishlist item the
-- shopper unsubscribed from is not subscribed again by the consumer).
CREATE TABLE IF NOT EXISTS product_alerts (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	user_id BIGINT UNSIGNED NOT NULL,
	product_id BIGINT UNSIGNED NOT NULL,
	sku_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
	kind ENUM('back-in-stock','price-drop') NOT NULL,
	source ENUM('explicit','wishlist') NOT NULL DEFAULT 'explicit',
	ref_price BIGINT NOT NULL DEFAULT 0 CHECK (ref_price >= 0),
	armed TINYINT(1) NOT NULL DEFAULT 0,
	active TINYINT(1) NOT NULL DEFAULT 1,
	episodes INT UNSIGNED NOT NULL DEFAULT 0,
	last_sent_at DATETIME(3) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
	UNIQUE KEY uq_product_alerts (user_id, product_id, sku_id, kind),
	KEY ix_product_alerts_product (product_id, kind),
	CONSTRAINT fk_product_alerts_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
