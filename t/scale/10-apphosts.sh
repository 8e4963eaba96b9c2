#!/usr/bin/env bash
# Scale scenario 10 (issue 20, docs/scaling.md): two shopd app hosts and
# two jobs hosts behind one nginx, on a stack of its own (scripts/stack with
# SHOP_APP_HOSTS=2 SHOP_JOBS_HOSTS=2) in a temp dir on free ports.
#
# Guest shoppers check out across both app hosts (one scarce SKU, one
# plentiful) while page reads go on; mid-traffic app host 2 is killed
# (SIGKILL to its master and workers, its whole process group) and then
# the jobs host holding the most leases. Proven with counts from SQL and
# from the answers, not from logs:
#   - both app hosts' product caches learn of a change made through either;
#   - both app hosts served (nginx's access log names the upstream);
#   - nginx kept answering: every page read after the kill got a 200;
#   - orders kept being placed after the kill; every acknowledged (201)
#     order is in MariaDB, confirmed; 0 oversold (the scarce SKU's units
#     held or sold never exceed its stock) and the stock ledger agrees
#     (shopctl reconcile stock --check);
#   - the killed jobs host's leases lapsed and the other host took every
#     one (job_leases, job_lease_terms 'lapsed');
#   - no job ran twice at once: consecutive lease terms never overlap, and
#     the test-only lease-probe job's batches (job_probe_runs, a row per
#     batch with its start and end) never overlap.
# SCALE=short (make test): 8 s of traffic, 3 s leases (a batch has 1 s,
# a third, even on a loaded machine); SCALE=full (make test-scale): 40 s of
# traffic, 6 s leases, more shoppers.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SCALE=${SCALE:-short}
if [ "$SCALE" = full ]; then
	TRAFFIC_S=40 KILL_APP_AT=10 KILL_JOBS_AT=15 BUYERS=8 LEASE_MS=6000 SCARCE=40
else
	TRAFFIC_S=8 KILL_APP_AT=3 KILL_JOBS_AT=4 BUYERS=4 LEASE_MS=3000 SCARCE=12
fi

. "$ROOT/t/scale/lib.bash"

# Nothing of the stack run-tests gave the runner: this scenario's own.
unset SHOP_SOCKET SHOP_DB_SOCKET SHOP_REDIS_SOCKET SHOP_SECRET SHOP_SECRET_FILE SHOP_BASE_URL \
	SHOP_DB_HOST SHOP_DB_PORT SHOP_REDIS_HOST SHOP_REDIS_PORT SHOP_PAYGATE_PORT SHOP_SEARCH_PORT \
	SHOP_PAYGATE_URL SHOP_TEST_BASE SHOP_LISTEN SHOP_HOST_ID SHOP_JOBS SHOP_BIN SHOP_MEDIA_DIR \
	SHOP_CARRIER_SECRET_FILE SHOP_PAYGATE_KEY_FILE SHOP_PAYGATE_WEBHOOK_SECRET_FILE
H=$(mktemp -d "${TMPDIR:-/tmp}/shop-scale10.XXXXXX")
WORK=$H/scale
mkdir -p "$WORK"
export SHOP_ROOT=$ROOT SHOP_HOME=$H SHOP_PORT=$("$ROOT/scripts/freeport")
export SHOP_APP_HOSTS=2 SHOP_JOBS_HOSTS=2 SHOP_WORKERS=2 SHOP_TEST_HOOKS=1
export SHOP_JOBS_LEASE_MS=$LEASE_MS SHOP_JOBS_PROBE_MS=15
BASE=http://127.0.0.1:$SHOP_PORT
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ "$FAILS" -gt 0 ] || [ -n "${SCALE_KEEP_LOGS:-}" ]; then
		mkdir -p "$ROOT/build/test-logs/scale-10-apphosts"
		cp -r "$H/log/." "$ROOT/build/test-logs/scale-10-apphosts/" 2>/dev/null
		echo "# logs kept in build/test-logs/scale-10-apphosts"
	fi
	"$ROOT/scripts/stack" stop >/dev/null 2>&1 || echo "# stack stop failed"
	rm -rf "$H"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

q() { mariadb --defaults-file="$H/my.cnf" -N -B shop -e "$1"; }

t0=$SECONDS
if ! "$ROOT/scripts/stack" start >"$WORK/stack-start.log" 2>&1; then
	notok "the stack with two app hosts and two jobs hosts starts"
	sed 's/^/# /' "$WORK/stack-start.log" | tail -n 30
	exit 1
fi
ok "the stack with two app hosts and two jobs hosts starts ($((SECONDS - t0)) s)"

# --- the goods: a scarce SKU and a plentiful one (the ledger kept) -----------
mapfile -t SKUS < <(q "SELECT s.id, s.code FROM skus s JOIN inventory i ON i.sku_id = s.id AND i.warehouse_id = 1
	WHERE s.status = 'active' ORDER BY s.id LIMIT 2" | tr '\t' ' ')
read -r SCARCE_ID SCARCE_CODE <<<"${SKUS[0]}"
read -r PLENTY_ID PLENTY_CODE <<<"${SKUS[1]}"
set_stock() {	# SKU_ID UNITS: warehouse 1 holds UNITS, the others none; each change a movement
	q "INSERT INTO stock_movements (sku_id, warehouse_id, seller_id, delta, available_after, reason, actor)
		SELECT i.sku_id, i.warehouse_id, p.seller_id, IF(i.warehouse_id = 1, $2, 0) - i.available,
		       IF(i.warehouse_id = 1, $2, 0), 'scale test stock', 'test:scale'
		FROM inventory i JOIN skus s ON s.id = i.sku_id JOIN products p ON p.id = s.product_id
		WHERE i.sku_id = $1 AND i.available <> IF(i.warehouse_id = 1, $2, 0);
	       UPDATE inventory SET available = IF(warehouse_id = 1, $2, 0) WHERE sku_id = $1"
}

ADDR='"shippingAddress":{"name":"Scale Buyer","line1":"1 Main St","city":"Austin","region":"TX","postalCode":"78701","country":"US"},"shippingMethod":"standard"'

# order_once SKU: one guest order of one unit; prints the checkout's code.
order_once() {
	local jar=$WORK/jar.once tok amount email=once.$RANDOM@example.com
	rm -f "$jar"
	tok=$(curl -s -c "$jar" -b "$jar" "$BASE/api/session" | jq -r .csrfToken)
	curl -s -o /dev/null -b "$jar" -c "$jar" -X PATCH -H "X-CSRF-Token: $tok" -H 'Content-Type: application/json' \
		-d "{\"itemId\":\"$1\",\"quantity\":1}" "$BASE/api/cart"
	amount=$(curl -s -b "$jar" -c "$jar" -H "X-CSRF-Token: $tok" -H 'Content-Type: application/json' \
		-d "{$ADDR,\"email\":\"$email\"}" "$BASE/api/checkout/quote" | jq -r .amount)
	curl -s -o /dev/null -w '%{http_code}' -b "$jar" -c "$jar" -H "X-CSRF-Token: $tok" -H "Idempotency-Key: once-$RANDOM" \
		-H 'Content-Type: application/json' -H 'Accept: application/json' \
		-d "{$ADDR,\"email\":\"$email\",\"amount\":$amount,\"paymentMethod\":\"pm_card_visa\"}" "$BASE/api/checkout"
}

# Each app host's workers cache product rows, told of changes by their
# host's own follower of the event stream (the app hosts run no jobs:
# SHOP_JOBS=0 keeps only that follower). Four reads of a product page go
# round-robin to both hosts and fill both caches; an order through the
# shop changes its stock; the next reads on both hosts show the change.
PLENTY_SLUG=$(q "SELECT p.slug FROM skus s JOIN products p ON p.id = s.product_id WHERE s.id = $PLENTY_ID")
stock_reads() {
	local i
	for i in 1 2 3 4; do
		curl -s -H 'Accept: application/json' -H 'Cookie: sid=scale-reader' "$BASE/p/$PLENTY_SLUG" | jq -r .product.stock
	done | sort -u | paste -sd' '
}
S0=$(stock_reads)
S0=$(stock_reads)
CODE_ONCE=$(order_once "$PLENTY_CODE")
for ((i = 0; i < 50; i++)); do
	S1=$(stock_reads)
	[[ $S0 =~ ^[0-9]+$ ]] && [ "$S1" = "$((S0 - 1))" ] && break
	sleep 0.1
done
cache_ok() { [ "$CODE_ONCE" = 201 ] && [[ $S0 =~ ^[0-9]+$ ]] && [ "$S1" = "$((S0 - 1))" ]; }
check "both app hosts' product caches learn of a change made through the shop (stock $S0 on every read, one order ($CODE_ONCE), then $S1 on every read)" cache_ok

# Then the stock for the traffic (the demo's, set in SQL with its movements).
set_stock "$SCARCE_ID" "$SCARCE"
set_stock "$PLENTY_ID" 100000
note "scarce SKU $SCARCE_CODE ($SCARCE units), plentiful SKU $PLENTY_CODE"

# buyer I SKU: a guest session that puts one unit in its cart and checks
# out, again and again, until the traffic ends; one line per order
# attempt in $WORK/buyer-I: "HTTP_CODE ORDER_ID AFTER_KILL" (AFTER_KILL 1
# once app host 2 has been killed).
buyer() {
	local i=$1 sku=$2 jar=$WORK/jar.$i tok amount code body key n=0 email=scale$i.$RANDOM@example.com
	tok=$(curl -s -c "$jar" -b "$jar" "$BASE/api/session" | jq -r .csrfToken)
	curl -s -o /dev/null -b "$jar" -c "$jar" -X PATCH -H "X-CSRF-Token: $tok" -H 'Content-Type: application/json' \
		-d "{\"itemId\":\"$sku\",\"quantity\":1}" "$BASE/api/cart"
	amount=$(curl -s -b "$jar" -c "$jar" -H "X-CSRF-Token: $tok" -H 'Content-Type: application/json' \
		-d "{$ADDR,\"email\":\"$email\"}" "$BASE/api/checkout/quote" | jq -r .amount)
	while [ ! -e "$WORK/stop" ]; do
		n=$((n + 1))
		curl -s -o /dev/null -b "$jar" -c "$jar" -X PATCH -H "X-CSRF-Token: $tok" -H 'Content-Type: application/json' \
			-d "{\"itemId\":\"$sku\",\"quantity\":1}" "$BASE/api/cart"
		key=scale-$i-$n-$RANDOM
		body=$(curl -s -w '\n%{http_code}' -b "$jar" -c "$jar" -H "X-CSRF-Token: $tok" -H "Idempotency-Key: $key" \
			-H 'Content-Type: application/json' -H 'Accept: application/json' --max-time 30 \
			-d "{$ADDR,\"email\":\"$email\",\"amount\":$amount,\"paymentMethod\":\"pm_card_visa\"}" "$BASE/api/checkout")
		code=${body##*$'\n'}
		body=${body%$'\n'*}
		if [ "$code" = 201 ]; then
			printf '201 %s %d\n' "$(jq -r .id <<<"$body" 2>/dev/null)" "$([ -e "$WORK/killed" ] && echo 1 || echo 0)"
		else
			printf '%s - %d\n' "${code:-000}" "$([ -e "$WORK/killed" ] && echo 1 || echo 0)"
			# Sold out: 409 at checkout, or the add to cart refused and
			# then 422 (empty cart). A shopper would look elsewhere;
			# these try again.
			sleep 0.05
		fi
	done >"$WORK/buyer-$i"
}

# pages: reads of the home page and a product page, with a session cookie
# so that nginx's microcache does not answer them; "CODE AFTER_KILL".
pages() {
	local path
	while [ ! -e "$WORK/stop" ]; do
		for path in / "/search?q=phone"; do
			printf '%s %d\n' "$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H 'Cookie: sid=scale-reader' "$BASE$path")" \
				"$([ -e "$WORK/killed" ] && echo 1 || echo 0)"
		done
		sleep 0.02
	done >"$WORK/pages"
}

for ((i = 1; i <= BUYERS; i++)); do
	if ((i % 2)); then sku=$SCARCE_CODE; else sku=$PLENTY_CODE; fi
	buyer "$i" "$sku" &
	PIDS+=($!)
done
pages &
PIDS+=($!)

# --- the kills ---------------------------------------------------------------
sleep "$KILL_APP_AT"
APP2=$(cat "$H/run/shopd-2.pid")
# setsid made the master a process group leader; its workers are in it.
kill -KILL -- "-$APP2"
KILLED_APP_AT=$(q "SELECT NOW(6)")
touch "$WORK/killed"
note "app host 2 (group $APP2) killed at $KILLED_APP_AT"

sleep $((KILL_JOBS_AT - KILL_APP_AT))
J1=$(q "SELECT COUNT(*) FROM job_leases WHERE host = 'jobs1' AND expires_at > NOW(3)")
J2=$(q "SELECT COUNT(*) FROM job_leases WHERE host = 'jobs2' AND expires_at > NOW(3)")
if [ "$J1" -ge "$J2" ]; then VICTIM=jobs1 SURVIVOR=jobs2 VN=1; else VICTIM=jobs2 SURVIVOR=jobs1 VN=2; fi
VICTIM_HELD=$(q "SELECT COUNT(*) FROM job_leases WHERE host = '$VICTIM'")
kill -KILL "$(cat "$H/run/jobs-$VN.pid")"
KILLED_JOBS_AT=$(q "SELECT NOW(6)")
note "jobs host $VICTIM (held $VICTIM_HELD of $((J1 + J2)) leases) killed at $KILLED_JOBS_AT"

sleep $((TRAFFIC_S - KILL_JOBS_AT))
touch "$WORK/stop"
for p in "${PIDS[@]}"; do wait "$p"; done
PIDS=()

# --- what the shop says ---------------------------------------------------------
cat "$WORK"/buyer-* >"$WORK/orders"
ACK=$(awk '$1 == 201' "$WORK/orders" | wc -l)
ACK_AFTER=$(awk '$1 == 201 && $3 == 1' "$WORK/orders" | wc -l)
OTHER=$(awk '$1 != 201 {print $1}' "$WORK/orders" | sort | uniq -c | tr '\n' ' ')
note "checkouts: $(wc -l <"$WORK/orders") tried, $ACK acknowledged ($ACK_AFTER after the kill); other answers: ${OTHER:-none}"

UP1=$(grep -c "up=$(cat "$H/run/shopd-1.listen")" "$H/log/nginx-access.log")
UP2=$(grep -c "up=$(cat "$H/run/shopd-2.listen")" "$H/log/nginx-access.log")
sleep 1.2	# nginx flushes its access log every second
UP1=$(grep -c "up=$(cat "$H/run/shopd-1.listen")" "$H/log/nginx-access.log")
UP2=$(grep -c "up=[^ ]*$(cat "$H/run/shopd-2.listen")" "$H/log/nginx-access.log")
check "both app hosts served requests (nginx's upstream: app1 $UP1, app2 $UP2)" [ "$UP1" -gt 0 -a "$UP2" -gt 0 ]
check "checkouts acknowledged across both hosts ($ACK)" [ "$ACK" -gt 0 ]
check "orders kept being acknowledged after app host 2 was killed ($ACK_AFTER)" [ "$ACK_AFTER" -gt 0 ]

PAGES_AFTER=$(awk '$2 == 1' "$WORK/pages" | wc -l)
PAGES_BAD=$(awk '$2 == 1 && $1 != 200' "$WORK/pages" | wc -l)
PAGES_BAD_BEFORE=$(awk '$2 == 0 && $1 != 200' "$WORK/pages" | wc -l)
check "nginx kept answering: page reads after the kill all 200 ($((PAGES_AFTER - PAGES_BAD)) of $PAGES_AFTER; before it $PAGES_BAD_BEFORE not 200)" \
	[ "$PAGES_AFTER" -gt 0 -a "$PAGES_BAD" -eq 0 -a "$PAGES_BAD_BEFORE" -eq 0 ]

# Checkouts the killed host left half-way are finished or undone by the
# surviving jobs host (the saga job); wait for them before counting stock.
for ((i = 0; i < 300; i++)); do
	[ "$(q "SELECT COUNT(*) FROM checkouts WHERE state IN ('reserved', 'authorizing')")" = 0 ] && break
	sleep 0.1
done

IDS=$(awk '$1 == 201 {print $2}' "$WORK/orders" | paste -sd, -)
if [ -n "$IDS" ]; then
	FOUND=$(q "SELECT COUNT(*) FROM orders WHERE id IN ($IDS) AND status IN ('confirmed','fulfilling','shipped','delivered')")
	BADIDS=$(awk '$1 == 201 {print $2}' "$WORK/orders" | grep -cvE '^[0-9]+$')
else
	FOUND=0 BADIDS=0
fi
check "no acknowledged order lost: $FOUND of $ACK are in MariaDB and confirmed" [ "$FOUND" -eq "$ACK" -a "$BADIDS" -eq 0 ]

HELD=$(q "SELECT COALESCE(SUM(quantity), 0) FROM holds WHERE sku_id = $SCARCE_ID AND state IN ('held', 'committed')")
LEFT=$(q "SELECT SUM(available) FROM inventory WHERE sku_id = $SCARCE_ID")
NEG=$(q "SELECT COUNT(*) FROM inventory WHERE sku_id IN ($SCARCE_ID, $PLENTY_ID) AND (available < 0 OR reserved < 0 OR committed < 0)")
check "0 oversold: the scarce SKU's $SCARCE units: $HELD held or sold, $LEFT left, no row below 0" \
	[ "$HELD" -le "$SCARCE" -a $((HELD + LEFT)) -eq "$SCARCE" -a "$NEG" -eq 0 ]
if out=$(cd "$ROOT" && "$ROOT/bin/shopctl" reconcile stock --check 2>&1); then
	ok "the stock ledger agrees with the inventory (shopctl reconcile stock --check)"
else
	notok "the stock ledger agrees with the inventory (shopctl reconcile stock --check)"
	sed 's/^/# /' <<<"$out" | tail -n 10
fi

# --- the jobs ------------------------------------------------------------------
# Every lease the killed host held lapses and the other host takes it.
for ((i = 0; i < 100; i++)); do
	LEFT_VICTIM=$(q "SELECT COUNT(*) FROM job_leases WHERE host <> '$SURVIVOR' OR expires_at < NOW(3)")
	[ "$LEFT_VICTIM" = 0 ] && break
	sleep 0.1
done
LAPSED=$(q "SELECT COUNT(*) FROM job_lease_terms WHERE host = '$SURVIVOR' AND taken_how = 'lapsed' AND acquired_at >= '$KILLED_JOBS_AT'")
TAKEOVER=$(q "SELECT ROUND(TIMESTAMPDIFF(MICROSECOND, '$KILLED_JOBS_AT', MAX(acquired_at)) / 1e6, 1) FROM job_lease_terms
	WHERE host = '$SURVIVOR' AND taken_how = 'lapsed' AND acquired_at >= '$KILLED_JOBS_AT'")
check "the killed jobs host's $VICTIM_HELD leases lapsed and $SURVIVOR took them ($LAPSED taken, the last ${TAKEOVER:-?} s after the kill, leases of ${LEASE_MS} ms); it holds all" \
	[ "$LEFT_VICTIM" = 0 -a "$LAPSED" -ge "$VICTIM_HELD" -a "$VICTIM_HELD" -gt 0 ]

OVERLAP=$(q "SELECT COUNT(*) FROM job_lease_terms a JOIN job_lease_terms b ON b.name = a.name AND b.epoch = a.epoch + 1
	WHERE b.acquired_at < a.expires_at OR b.taken_how = 'dead'")
TERMS=$(q "SELECT COUNT(*) FROM job_lease_terms")
BATCHES=$(q "SELECT CONCAT(host, ' ', SUM(batches)) FROM job_lease_terms GROUP BY host ORDER BY host" | paste -sd, -)
check "no job held by two hosts at once: $TERMS lease terms, none starts before the one before it ended ($OVERLAP do; batches by host: $BATCHES)" \
	[ "$OVERLAP" = 0 -a "$TERMS" -gt 0 ]

PROBE=$(q "SELECT COUNT(*) FROM job_probe_runs")
PROBE_HOSTS=$(q "SELECT COUNT(DISTINCT host) FROM job_probe_runs")
# A batch the kill cut short has no end: it ran until the kill at most.
PEND="COALESCE(%s.ended_at, IF(%s.host = '$VICTIM', '$KILLED_JOBS_AT', NOW(6)))"
PROBE_OVERLAP=$(q "SELECT COUNT(*) FROM job_probe_runs a JOIN job_probe_runs b ON a.id < b.id
	AND a.started_at < $(printf "$PEND" b b) AND b.started_at < $(printf "$PEND" a a)")
check "no batch of one job ran twice at once: $PROBE lease-probe batches on $PROBE_HOSTS hosts, $PROBE_OVERLAP overlapping" \
	[ "$PROBE" -gt 0 -a "$PROBE_OVERLAP" = 0 ]

note "scenario took $((SECONDS - t0)) s"
[ "$FAILS" -eq 0 ]
