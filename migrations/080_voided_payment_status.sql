-- Bug 6 (issue 15): a cancelled or expired order kept the payment status of
-- the authorization it had ("requires_capture") after the gateway voided it,
-- and its page still said "Paid with visa ending in 4242". Every release
-- voids first, and now records payment_status = 'canceled' (the gateway's
-- word) in the same transaction (app/order/order.c, tx_release); this brings
-- the orders released before that in line. Idempotent: a second run finds
-- nothing to change.
UPDATE orders SET payment_status = 'canceled'
WHERE status IN ('cancelled', 'expired') AND payment_intent IS NOT NULL AND payment_intent <> ''
  AND (payment_status IS NULL OR payment_status NOT IN ('canceled', 'succeeded'));
