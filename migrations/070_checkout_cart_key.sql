-- Issue 15, bug 4: a cart checks out once, whatever the number of tabs.
-- The checkout form's Review names the cart it priced (version and lines,
-- app/checkout/checkout_pages.c); the saga records that name on the row it
-- moves to 'reserved', and a second "Place order" for the same cart lands
-- on the first one's order instead of placing another (app/checkout/checkout.c).
ALTER TABLE checkouts ADD COLUMN IF NOT EXISTS cart_key VARCHAR(80) NULL AFTER request_hash;
CREATE INDEX IF NOT EXISTS ix_checkouts_cart ON checkouts (user_id, cart_key);
