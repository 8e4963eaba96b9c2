-- The navigation's product counts per category are kept in the category row
-- by `shopd jobs` (catalog_refresh_counts) instead of being counted on every
-- category-cache refresh of every worker: at a million products that count
-- read every product's index entry (0.2 s).
ALTER TABLE categories ADD COLUMN IF NOT EXISTS product_count INT NOT NULL DEFAULT 0;

-- A category page's brand filter counts the brands of the category's listed
-- products: with brand in the index the count never reads the rows (2.2 s
-- for a 41,000-product category at a million products, 2 ms with it).
CREATE INDEX IF NOT EXISTS ix_products_cat_brand ON products (category_id, status, brand);
