-- Wishlists (issue 17): a shopper's saved items, in lists. Every account
-- that saves anything has one default list (is_default = 1); more lists by
-- name. A list shared by link has an unguessable share_token (NULL: not
-- shared). Guests keep their list in their session (Redis) until they sign
-- in, when it is merged into the default list here.
CREATE TABLE IF NOT EXISTS wishlists (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	user_id BIGINT UNSIGNED NOT NULL,
	name VARCHAR(100) NOT NULL,
	is_default TINYINT(1) NOT NULL DEFAULT 0,
	share_token CHAR(43) NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
	UNIQUE KEY uq_wishlists_name (user_id, name),
	UNIQUE KEY uq_wishlists_share (share_token),
	CONSTRAINT fk_wishlists_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One saved SKU of a list. saved_price is the SKU's price when it was saved
-- (the "price change since saved" and the price-drop alert's reference);
-- quantity is kept for a cart line saved for later; alerts = 0 is the
-- shopper's opt-out of the back-in-stock and price-drop alerts a saved item
-- has by default (app/alerts reads this table, never writes it).
CREATE TABLE IF NOT EXISTS wishlist_items (
	wishlist_id BIGINT UNSIGNED NOT NULL,
	sku_id BIGINT UNSIGNED NOT NULL,
	product_id BIGINT UNSIGNED NOT NULL,
	user_id BIGINT UNSIGNED NOT NULL,
	saved_price BIGINT NOT NULL CHECK (saved_price >= 0),
	quantity INT NOT NULL DEFAULT 1 CHECK (quantity > 0),
	alerts TINYINT(1) NOT NULL DEFAULT 1,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (wishlist_id, sku_id),
	KEY ix_wishlist_items_product (product_id, alerts),
	KEY ix_wishlist_items_user (user_id, product_id),
	CONSTRAINT fk_wishlist_items_list FOREIGN KEY (wishlist_id) REFERENCES wishlists (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
