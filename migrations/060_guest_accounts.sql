-- Guest checkout (issue 15): a shopper who buys without an account gets a
-- guest row in users, so orders, payments, fulfilment and stock keep their
-- one path (orders.user_id stays NOT NULL with its foreign key). A guest
-- row has status 'guest', no password (''), email NULL (so the unique key,
-- sign-in, password resets and role grants never see it) and the address it
-- gave in guest_email, which need not be unique: the same person may check
-- out as a guest many times, and may have a full account too. "Save your
-- details" turns the row into a full account (email = guest_email, a
-- password, status 'active'), which the unique key then guards.
ALTER TABLE users MODIFY email VARCHAR(254) NULL;
ALTER TABLE users MODIFY status ENUM('active','disabled','guest') NOT NULL DEFAULT 'active';
ALTER TABLE users ADD COLUMN IF NOT EXISTS guest_email VARCHAR(254) NULL AFTER email;
CREATE INDEX IF NOT EXISTS ix_users_guest_email ON users (guest_email);
