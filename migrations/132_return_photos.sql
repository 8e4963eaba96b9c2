-- Return photos (app/returns; docs/design.md section 11, "Returns"): a
-- shopper's return carries up to 4 photos, through the product photos'
-- pipeline (app/seller/images.h: checked, decoded, re-encoded as WebP with
-- no metadata). The files are named by the SHA-256 of the full size, like
-- product photos, but kept in SHOP_MEDIA_DIR/returns/, which nginx never
-- serves: shopd serves them to the shopper, the seller concerned and
-- admins only. The media sweep keeps a file while a row here names it
-- (ix_return_photos_hash).
CREATE TABLE IF NOT EXISTS return_photos (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	return_id BIGINT UNSIGNED NOT NULL,
	position TINYINT UNSIGNED NOT NULL CHECK (position BETWEEN 1 AND 4),
	hash CHAR(64) CHARACTER SET ascii NOT NULL,
	width SMALLINT UNSIGNED NOT NULL,
	height SMALLINT UNSIGNED NOT NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	UNIQUE KEY uq_return_photos_position (return_id, position),
	KEY ix_return_photos_hash (hash),
	CONSTRAINT fk_return_photos_return FOREIGN KEY (return_id) REFERENCES returns (id),
	CONSTRAINT ck_return_photos_hash CHECK (hash REGEXP '^[0-9a-f]{64}$')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
