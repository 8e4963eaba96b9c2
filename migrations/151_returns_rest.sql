-- Returns, the rest (issue 19; app/returns, docs/design.md section 11):
--
-- refund_failed: the seller received the parcel but the gateway refused the
-- return's refund for good. The return says so (it no longer looks like a
-- refund under way), is listed on /admin/returns and an admin can try the
-- refund again. Each such try uses the next gateway key derived from the
-- return ("return-<id>", then "return-<id>-2", ...): a refusal is stored
-- under its key at the gateway (replayed to any retry with that key), and a
-- new key is taken only after the refusal is recorded here, so no try can
-- pay twice. refund_tries counts the admins' tries.
ALTER TABLE returns MODIFY status ENUM('requested','approved','rejected','in_transit','received','refunded',
	'cancelled','refund_failed') NOT NULL DEFAULT 'requested';
ALTER TABLE returns ADD COLUMN IF NOT EXISTS refund_tries INT NOT NULL DEFAULT 0;
