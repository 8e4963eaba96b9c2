-- The alerts' mails are opt-out like the cart reminder (issue 17): a
-- person may turn each kind off on the account page or with the mail's
-- one-click unsubscribe link. No row in notify_prefs: on.
ALTER TABLE notify_prefs ADD COLUMN IF NOT EXISTS back_in_stock TINYINT(1) NOT NULL DEFAULT 1 AFTER low_stock;
ALTER TABLE notify_prefs ADD COLUMN IF NOT EXISTS price_drop TINYINT(1) NOT NULL DEFAULT 1 AFTER back_in_stock;
