-- The admin console (issue 19, app/console): what its promo codes,
-- categories and content pages need beyond the schema.

-- A promo's limit per shopper is a number now (perCustomer), not only
-- "once": NULL is no limit. once_per_customer stays for the rows and code
-- that know it and is kept equal to (per_customer = 1); its unique key
-- (promo_redemptions.once_user_id) still backs the common "once" case, and
-- a larger limit is counted under the promo row's lock at redemption
-- (app/pricing). updated_at shows the console's last edit.
ALTER TABLE promo_codes ADD COLUMN IF NOT EXISTS per_customer INT UNSIGNED NULL
	CHECK (per_customer IS NULL OR per_customer > 0);
ALTER TABLE promo_codes ADD COLUMN IF NOT EXISTS updated_at DATETIME(3) NULL;
UPDATE promo_codes SET per_customer = 1 WHERE once_per_customer = 1 AND per_customer IS NULL;

-- What a promo applies to: no rows in either table, the whole cart; else
-- only lines whose product is in one of the categories (or below one) or
-- sold by one of the sellers. The discount is computed on those lines and
-- spread over them alone.
CREATE TABLE IF NOT EXISTS promo_categories (
	promo_id BIGINT UNSIGNED NOT NULL,
	category_id INT UNSIGNED NOT NULL,
	PRIMARY KEY (promo_id, category_id),
	CONSTRAINT fk_promo_categories_promo FOREIGN KEY (promo_id) REFERENCES promo_codes (id),
	CONSTRAINT fk_promo_categories_cat FOREIGN KEY (category_id) REFERENCES categories (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE IF NOT EXISTS promo_sellers (
	promo_id BIGINT UNSIGNED NOT NULL,
	seller_id INT UNSIGNED NOT NULL,
	PRIMARY KEY (promo_id, seller_id),
	CONSTRAINT fk_promo_sellers_promo FOREIGN KEY (promo_id) REFERENCES promo_codes (id),
	CONSTRAINT fk_promo_sellers_seller FOREIGN KEY (seller_id) REFERENCES sellers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A retired category leaves the navigation, the storefront and the
-- console's choices but keeps its row: orders, return windows and
-- commission rates may still name it. Only an empty one (no products, no
-- live children) is retired.
ALTER TABLE categories ADD COLUMN IF NOT EXISTS retired_at DATETIME(3) NULL;

-- The footer's pages, edited by admins in plain text with a little markup
-- (app/console/markup.h); rendered safely on every view.
CREATE TABLE IF NOT EXISTS content_pages (
	slug VARCHAR(32) NOT NULL PRIMARY KEY,
	title VARCHAR(100) NOT NULL,
	body MEDIUMTEXT NOT NULL,
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
	updated_by VARCHAR(64) NOT NULL DEFAULT 'seed',
	CONSTRAINT ck_content_pages_slug CHECK (slug IN ('about','contact','shipping','returns','privacy'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The seed: the text the templates/info_*.html pages had, in the markup.
INSERT IGNORE INTO content_pages (slug, title, body) VALUES
('about', 'About us', 'We are a small marketplace of independent sellers, run by a small team.

## What we do

* We check every seller who applies, and a person reads every application.
* We hold your payment until the seller ships, and refund what does not ship.
* We answer every message ourselves: see [Contact us](/contact).

Want to sell your own things? [Apply to sell](/sell).'),
('contact', 'Contact us', 'We are a small team and we answer every message ourselves, usually within one business day (Monday to Friday, 9:00 to 17:00 US Eastern time).

## Questions about an order

Have your order number ready: it is in the confirmation email and on [your orders](/orders). Most questions are answered there: the order''s status, its shipments with their tracking numbers, and its refunds.

* Email: [help@shop.example](mailto:help@shop.example)
* Phone: [+1 555 0100](tel:+15550100) (business hours)
* Post: customer care, 100 Example Street, Springfield, IL 62701, United States

## Before you write

* Where is my parcel? See [Shipping](/shipping) for how long each method takes.
* Wrong size, changed your mind, arrived damaged? See [Returns and refunds](/returns).
* What do we keep about you? See [Privacy](/privacy).

## Selling with us

Items in the shop are sold by independent sellers. To sell your own, [apply to sell](/sell); a person reads every application.'),
('shipping', 'Shipping', 'We ship from our sellers'' warehouses on business days. An order placed before 14:00 US Eastern time on a business day usually leaves the same day; the times below count from the day it leaves.

## Within the United States

* **Standard**: 3–5 business days, from $4.99; free on orders of $50 or more.
* **Express**: 1–2 business days, from $12.99.
* **Overnight**: next business day, from $24.99.

Alaska, Hawaii and the US territories: Standard in 6–10 business days (from $9.99), Express in 2–4 (from $24.99); Overnight is not offered there.

## Canada, Europe and the rest of the world

* Canada: Standard in 5–10 business days (from $12.99), Express in 2–4 (from $29.99).
* European Union: Standard in 7–14 business days (from $14.99), Express in 3–5 (from $39.99).
* Elsewhere: Standard in 10–21 business days (from $19.99), Express in 3–7 (from $49.99).

Import duties and taxes charged by the destination country are paid by the recipient when the parcel arrives.

## What a parcel costs

The price depends on the method, the destination and the weight of the order. The checkout shows the exact price of each method for your address before you pay, and the dates to expect.

## Following a parcel

When a seller ships your items you get an email with the carrier and the tracking number; the same is on your order''s page. An order with items from several sellers may come in several parcels.

A parcel late by more than five business days? [Tell us](/contact) and we will chase the carrier or send a replacement.'),
('returns', 'Returns and refunds', 'Not what you expected? Send it back within **30 days** of delivery for a full refund of the item''s price.

## How to return an item

1. Open the order from [your orders](/orders) and ask for a return of the items, with a reason.
2. The seller replies with the return address and, for a damaged or wrong item, a prepaid label.
3. Pack the item with its accessories and send it. Keep the receipt of postage until the refund arrives.

## Your refund

Once the seller has the item back, the refund goes to the card you paid with, usually within 3 business days; your bank may take a few more days to show it. The order''s page lists every refund and its state.

* Changed your mind: the item''s price is refunded; the cost of sending it back is yours.
* Damaged, faulty or not what you ordered: the item''s price and the shipping are refunded, and the return is free.
* An order not shipped yet can be cancelled from its page; nothing is charged for what was cancelled.

## What cannot be returned

For hygiene, opened beauty, skin care and fragrance products, and perishable food, cannot be returned unless they arrived damaged or faulty.'),
('privacy', 'Privacy', 'This page says what we keep about you, why, and for how long. We do not sell your data and we show no third-party advertising or tracking.

## What we keep

* **Your account**: name, email address and a salted hash of your password (never the password itself).
* **Your orders**: the items, prices, the shipping address and the payment''s state. Card numbers go straight to our payment processor; we only see the card''s brand and last four digits.
* **Your cart and session**: one cookie holding a random session identifier, needed for the cart and for signing in. Without an account the cart lasts 30 days.
* **Your reviews**, shown with the name you choose.

## Why

To deliver your orders, to answer your questions, to send the emails about your orders and your account, and to keep the shop safe from fraud and abuse. We send no marketing email unless you ask for it.

## Who else sees it

The seller of an item sees your name and shipping address for the orders they ship; carriers see the address on the parcel; our payment processor handles your card. No one else.

## How long

Orders are kept for as long as tax law requires (seven years); an account you close is deleted, except for those order records. Server logs are kept for 30 days.

## Your rights

You may ask for a copy of what we hold about you, have it corrected or deleted: [contact us](/contact). We answer within 30 days.');

