-- Bulk import (app/seller/bulk.c) groups variant rows into one product by the
-- seller's own item key and finds that product again on the next import.
-- NULL for products made any other way (a unique key allows many NULLs).
ALTER TABLE products ADD COLUMN IF NOT EXISTS item_key VARCHAR(64) NULL;
CREATE UNIQUE INDEX IF NOT EXISTS uq_products_seller_item ON products (seller_id, item_key);
