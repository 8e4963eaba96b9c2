-- Prices in the shopper's currency (app/fx, issue 19).

-- The day's exchange rates, loaded by `shopctl fx-load FILE` (the ECB's
-- daily CSV, rates per EUR, stored per unit of the shop's currency, USD):
-- one row per currency and day, history kept. A quote uses the latest day
-- loaded; an order keeps the rate and day it was charged at
-- (orders.fx_rate, orders.fx_date, migration 130).
CREATE TABLE IF NOT EXISTS fx_rates (
	currency CHAR(3) NOT NULL,
	rate_date DATE NOT NULL,
	rate DECIMAL(20,10) NOT NULL CHECK (rate > 0),	-- units of currency per USD
	source VARCHAR(128) NOT NULL DEFAULT '',	-- the file it came from
	loaded_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (currency, rate_date),
	KEY ix_fx_rates_date (rate_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A seller's own price of a SKU in another currency (minor units of that
-- currency): shown and charged instead of the converted price. Not for a
-- flash sale's price, which is converted.
CREATE TABLE IF NOT EXISTS sku_prices (
	sku_id BIGINT UNSIGNED NOT NULL,
	currency CHAR(3) NOT NULL,
	price BIGINT NOT NULL CHECK (price >= 0),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
	PRIMARY KEY (sku_id, currency),
	CONSTRAINT fk_sku_prices_sku FOREIGN KEY (sku_id) REFERENCES skus (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
