-- A suspended seller's listings leave the storefront without losing what the
-- seller had set: 'active' products become 'suspended' while the seller is
-- suspended and 'active' again when reinstated. Only an admin moves a product
-- into or out of this status (app/account/admin.c).
ALTER TABLE products MODIFY status ENUM('draft','active','archived','suspended') NOT NULL DEFAULT 'active';
