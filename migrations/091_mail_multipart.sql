-- Mails with an HTML part beside the plain text (multipart/alternative) and,
-- for the mails a shopper may stop, the one-click unsubscribe URL that goes
-- into List-Unsubscribe (app/mail/mail.c, app/notify).
ALTER TABLE mail_outbox ADD COLUMN IF NOT EXISTS html MEDIUMTEXT NULL AFTER body;
ALTER TABLE mail_outbox ADD COLUMN IF NOT EXISTS unsubscribe_url VARCHAR(500) NULL AFTER html;
