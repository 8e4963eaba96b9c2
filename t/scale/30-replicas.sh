#!/usr/bin/env bash
# Scale scenario 30 (issue 20, docs/scaling.md "MariaDB replicas"): reads on
# a MariaDB replica. On a stack of its own (scripts/stack in a temp dir, free
# ports) whose MariaDB is a replication primary (binlog, GTID; a TCP port on
# 127.0.0.1 through SHOP_DB_EXTRA_CNF), the scenario starts one replica
# (mariadbd of its own, seeded from a dump at a known GTID, CHANGE MASTER
# ... MASTER_USE_GTID=slave_pos) and points shopd at it (SHOP_DB_REPLICAS).
# Proven with counters (`shopctl db-reads`, the replica's Com_select), not
# logs:
#   1. catalog reads (home, category, product, the category API) reach the
#      replica: the "replica" counter and the replica's own Com_select grow;
#   2. a shopper's own writes are always read back while the replica is
#      behind (MASTER_DELAY): add to cart then view the cart, place an order
#      then view it and the order history, in a tight loop; the history is a
#      replica read that first waits for the shopper's GTID (gtid_waits),
#      and falls back to the primary when the wait times out;
#   3. the replica's SQL thread stopped (not replicating): reads go to the
#      primary ("primary_lag") and pages keep answering;
#   4. the replica shut down: reads go to the primary ("primary_dead" or
#      "retried_on_primary"), pages keep answering 200;
#   5. the replica started again: reads come back to it.
# SCALE=short (make test): 6 rounds of the read-back loop; SCALE=full: 30.
# REPLICA_BENCH=SECONDS: also wrk (8 connections, session cookie, so past
# nginx's microcache) on a category and a product page for that long, once
# with reads on the replica and once with them on the primary (the
# replica's SQL thread stopped), printed as comments; no check.
# SCALE_BIN=DIR: shopd, shopctl and paygate from DIR (e.g. build-san/bin,
# the sanitizer builds); default bin/.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export PATH="$PATH:/usr/sbin:/sbin"
SCALE=${SCALE:-short}
if [ "$SCALE" = full ]; then ROUNDS=30 READS=200; else ROUNDS=6 READS=20; fi

. "$ROOT/t/scale/lib.bash"

# Nothing of the stack run-tests gave the runner: this scenario's own.
unset SHOP_SOCKET SHOP_DB_SOCKET SHOP_REDIS_SOCKET SHOP_SECRET SHOP_SECRET_FILE SHOP_BASE_URL \
	SHOP_DB_HOST SHOP_DB_PORT SHOP_REDIS_HOST SHOP_REDIS_PORT SHOP_PAYGATE_PORT SHOP_SEARCH_PORT \
	SHOP_PAYGATE_URL SHOP_TEST_BASE SHOP_LISTEN SHOP_HOST_ID SHOP_JOBS SHOP_BIN SHOP_MEDIA_DIR \
	SHOP_CARRIER_SECRET_FILE SHOP_PAYGATE_KEY_FILE SHOP_PAYGATE_WEBHOOK_SECRET_FILE \
	SHOP_APP_HOSTS SHOP_JOBS_HOSTS SHOP_REDIS_SENTINELS SHOP_DB_REPLICAS
BIN=${SCALE_BIN:-$ROOT/bin}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
export SHOP_BIN=$BIN
H=$(mktemp -d "${TMPDIR:-/tmp}/shop-scale30.XXXXXX")
R=$H/replica	# the replica's datadir, socket, log
WORK=$H/scale
mkdir -p "$WORK" "$R/data" "$R/tmp"
PPORT=$("$ROOT/scripts/freeport")
RPORT=$("$ROOT/scripts/freeport")
while [ "$RPORT" = "$PPORT" ]; do RPORT=$("$ROOT/scripts/freeport"); done
WPORT=$("$ROOT/scripts/freeport")
while [ "$WPORT" = "$PPORT" ] || [ "$WPORT" = "$RPORT" ]; do WPORT=$("$ROOT/scripts/freeport"); done
export SHOP_ROOT=$ROOT SHOP_HOME=$H SHOP_PORT=$WPORT SHOP_WORKERS=2 SHOP_TEST_HOOKS=1
BASE=http://127.0.0.1:$SHOP_PORT

# The primary: the stack's own MariaDB plus a binlog, GTIDs and a port.
cat >"$H/primary.cnf" <<EOF
skip-networking=0
bind-address=127.0.0.1
port=$PPORT
server-id=1
log-bin=$H/mysql/primary-bin
binlog_format=ROW
gtid_strict_mode=1
EOF
export SHOP_DB_EXTRA_CNF=$H/primary.cnf
# The shop's replica; the lag bound is wide enough that a three-second
# MASTER_DELAY keeps it in use (so that read-your-writes is what decides),
# and a dead replica is tried again after a second.
export SHOP_DB_REPLICAS=127.0.0.1:$RPORT SHOP_DB_REPLICA_MAX_LAG=10 SHOP_DB_REPLICA_CHECK_MS=200 \
	SHOP_DB_REPLICA_RETRY_MS=1000 SHOP_DB_REPLICA_WAIT_MS=300

cat >"$R/my.cnf" <<EOF
[client]
socket=$R/mysqld.sock
user=root
[mysqld]
$([ "$(id -u)" -eq 0 ] && echo user=root)
datadir=$R/data
tmpdir=$R/tmp
socket=$R/mysqld.sock
pid-file=$R/mysqld.pid
log-error=$R/mariadb.log
bind-address=127.0.0.1
port=$RPORT
skip-name-resolve
server-id=2
relay-log=$R/data/relay-bin
read_only=1
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
innodb_buffer_pool_size=64M
innodb_log_file_size=16M
innodb_flush_log_at_trx_commit=2
EOF

RPID=
replica_start() {
	local i
	mariadbd --defaults-file="$R/my.cnf" </dev/null >>"$R/mariadb.out" 2>&1 &
	RPID=$!
	for ((i = 0; i < 300; i++)); do
		mariadb-admin --defaults-file="$R/my.cnf" --connect-timeout=2 ping >/dev/null 2>&1 && return 0
		kill -0 "$RPID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
replica_stop() {
	[ -n "$RPID" ] || return 0
	mariadb-admin --defaults-file="$R/my.cnf" --connect-timeout=5 shutdown >/dev/null 2>&1 || kill "$RPID" 2>/dev/null
	wait "$RPID" 2>/dev/null
	RPID=
}

cleanup() {
	replica_stop
	if [ "$FAILS" -gt 0 ] || [ -n "${SCALE_KEEP_LOGS:-}" ]; then
		mkdir -p "$ROOT/build/test-logs/scale-30-replicas"
		cp -r "$H/log/." "$ROOT/build/test-logs/scale-30-replicas/" 2>/dev/null
		cp "$R/mariadb.log" "$ROOT/build/test-logs/scale-30-replicas/replica-mariadb.log" 2>/dev/null
		cp -r "$WORK/." "$ROOT/build/test-logs/scale-30-replicas/" 2>/dev/null
		echo "# logs kept in build/test-logs/scale-30-replicas"
	fi
	"$ROOT/scripts/stack" stop >/dev/null 2>&1 || echo "# stack stop failed"
	rm -rf "$H"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

q() { mariadb --defaults-file="$H/my.cnf" -N -B shop -e "$1"; }
rq() { mariadb --defaults-file="$R/my.cnf" -N -B -e "$1"; }
# slave_status FIELD...: those fields of the replica's SHOW SLAVE STATUS, "Name: value" on one line
slave_status() {
	local re
	re=$(IFS='|'; echo "$*")
	mariadb --defaults-file="$R/my.cnf" -e 'SHOW SLAVE STATUS\G' | sed -n -E "s/^ *($re): */\1=/p" | tr '\n' ' '
}
# counter NAME: the shop's total of db-reads counter NAME
counter() { "$BIN/shopctl" db-reads | awk -v k="$1" '$1 == "total" { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }'; }
com_select() { rq "SHOW GLOBAL STATUS LIKE 'Com_select'" | awk '{print $2}'; }
# wait_until SECONDS CMD...: CMD succeeds within SECONDS
wait_until() {
	local t=$1 i
	shift
	for ((i = 0; i < t * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

t0=$SECONDS
# The replica's empty datadir is made while the stack starts.
mariadb-install-db --defaults-file="$R/my.cnf" --auth-root-authentication-method=normal \
	--skip-test-db </dev/null >"$R/install.log" 2>&1 &
INSTALL_PID=$!
if ! "$ROOT/scripts/stack" start >"$WORK/stack-start.log" 2>&1; then
	notok "the stack with a replication primary starts"
	sed 's/^/# /' "$WORK/stack-start.log" | tail -n 30
	exit 1
fi
ok "the stack with a replication primary starts ($((SECONDS - t0)) s)"

# --- the replica: seeded from a dump at a known GTID, then replicating ------
t1=$SECONDS
q "CREATE USER IF NOT EXISTS 'repl'@'127.0.0.1' IDENTIFIED BY 'repl-secret';
   GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'"
mariadb-dump --defaults-file="$H/my.cnf" --single-transaction --master-data=2 --gtid \
	--databases shop >"$WORK/seed.sql" 2>"$WORK/dump.err"
GTID0=$(sed -n "s/^-- SET GLOBAL gtid_slave_pos='\([^']*\)'.*/\1/p" "$WORK/seed.sql" | head -n 1)
if ! wait "$INSTALL_PID" || ! replica_start; then
	notok "the replica starts"
	tail -n 20 "$R/install.log" "$R/mariadb.log" | sed 's/^/# /'
	exit 1
fi
{
	echo "SET SESSION sql_log_bin = 0;"
	cat "$WORK/seed.sql"
	echo "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';"
	echo "GRANT ALL ON *.* TO 'root'@'127.0.0.1';"
	echo "SET GLOBAL gtid_slave_pos = '$GTID0';"
	echo "CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = $PPORT, MASTER_USER = 'repl',"
	echo "  MASTER_PASSWORD = 'repl-secret', MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1;"
	echo "START SLAVE;"
} | mariadb --defaults-file="$R/my.cnf" >"$WORK/seed.out" 2>&1
# caught_up: the replica has applied what the primary had written when
# asked (per domain: its sequence number at least the primary's; the jobs
# process keeps writing meanwhile, so "equal" is not the test)
caught_up() {
	local p r
	p=$(q "SELECT @@gtid_binlog_pos")
	r=$(rq "SELECT @@gtid_slave_pos")
	[ -n "$p" ] && [ -n "$r" ] && awk -v p="$p" -v r="$r" 'BEGIN {
		n = split(r, rs, ","); for (i = 1; i <= n; i++) { split(rs[i], g, "-"); have[g[1]] = g[3] }
		n = split(p, ps, ","); for (i = 1; i <= n; i++) { split(ps[i], g, "-"); if (!(g[1] in have) || have[g[1]] + 0 < g[3] + 0) exit 1 }
		exit 0 }'
}
check "the replica is seeded at $GTID0 and catches up with the primary over GTID replication ($((SECONDS - t1)) s)" \
	wait_until 20 caught_up
note "replica: $(slave_status Slave_IO_Running Slave_SQL_Running Seconds_Behind_Master Using_Gtid Gtid_Slave_Pos)"

# --- 1. catalog reads reach the replica --------------------------------------
PROD=$(q "SELECT slug FROM products WHERE status = 'active' ORDER BY id LIMIT 1")
CAT=$(q "SELECT c.slug FROM categories c JOIN products p ON p.category_id = c.id WHERE p.status = 'active' ORDER BY p.id LIMIT 1")
# page reads with a session cookie, so that nginx's microcache does not answer
reads() {	# N: reads of the catalog pages; prints the count of answers that were not 200
	local n=$1 i bad=0 path code
	for ((i = 0; i < n; i++)); do
		for path in / "/c/$CAT" "/p/$PROD" "/api/categories/$CAT/items?size=5"; do
			code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H 'Cookie: sid=scale-reader' "$BASE$path")
			[ "$code" = 200 ] || bad=$((bad + 1))
		done
	done
	echo "$bad"
}
REP0=$(counter replica) SEL0=$(com_select)
BAD=$(reads "$((READS / 4))")
REP1=$(counter replica) SEL1=$(com_select)
note "db-reads after the catalog reads: $("$BIN/shopctl" db-reads | head -n 1)"
check "catalog reads reach the replica: shop counter replica +$((REP1 - REP0)), the replica's Com_select +$((SEL1 - SEL0)), $BAD answers not 200" \
	[ "$((REP1 - REP0))" -ge "$((READS / 4 * 2))" -a "$((SEL1 - SEL0))" -gt 0 -a "$BAD" -eq 0 ]

# bench LABEL: requests/s of a category and a product page (REPLICA_BENCH)
bench() {
	local path
	[ -n "${REPLICA_BENCH:-}" ] && command -v wrk >/dev/null || return 0
	for path in "/c/$CAT" "/p/$PROD"; do
		note "bench $1 $path: $(wrk -t2 -c8 -d"${REPLICA_BENCH}s" -H 'Cookie: sid=bench' "$BASE$path" 2>&1 |
			awk '/Requests\/sec/ {r=$2} /Latency/ {l=$2} /Non-2xx/ {e=$NF} END {printf "%s req/s, mean latency %s, non-2xx %s", r, l, e ? e : 0}')"
	done
}
bench "reads on the replica"

# Search's SQL fallback (searchd stopped) reads on the replica too.
"$ROOT/scripts/stack" stop-search >/dev/null 2>&1
REP0=$(counter replica) BAD=0
for w in phone shirt lamp book watch; do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H 'Cookie: sid=scale-reader' "$BASE/search?q=$w")
	[ "$code" = 200 ] || BAD=$((BAD + 1))
done
REP1=$(counter replica)
check "searchd stopped: search answers from MariaDB's fallback on the replica (replica +$((REP1 - REP0)), $BAD of 5 not 200)" \
	[ "$((REP1 - REP0))" -gt 0 -a "$BAD" -eq 0 ]
"$ROOT/scripts/stack" start-search >/dev/null 2>&1 || note "searchd did not start again"

# --- 2. a shopper's own writes, read back while the replica is behind --------
rq "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 3; START SLAVE"
J=$WORK/jar
EMAIL=replica-$RANDOM@example.com
TOK=$(curl -s -c "$J" -b "$J" "$BASE/api/session" | jq -r .csrfToken)
curl -s -o /dev/null -b "$J" -c "$J" -H "X-CSRF-Token: $TOK" -H 'Content-Type: application/json' \
	-d "{\"name\":\"Rhea Plica\",\"email\":\"$EMAIL\",\"password\":\"correct horse battery staple\"}" "$BASE/api/users"
TOK=$(curl -s -b "$J" -c "$J" -H "X-CSRF-Token: $TOK" -H 'Content-Type: application/json' \
	-d "{\"email\":\"$EMAIL\",\"password\":\"correct horse battery staple\"}" "$BASE/api/session" | jq -r .csrfToken)
check "a shopper signs in (a session for the read-back loop)" [ -n "$TOK" -a "$TOK" != null ]
SKU=$(q "SELECT s.code FROM skus s JOIN inventory i ON i.sku_id = s.id WHERE s.status = 'active'
	GROUP BY s.id HAVING SUM(i.available) > 1000 ORDER BY s.id LIMIT 1")
[ -n "$SKU" ] || SKU=$(q "SELECT s.code FROM skus s WHERE s.status = 'active' ORDER BY s.id LIMIT 1")
ADDR='"shippingAddress":{"name":"Rhea Plica","line1":"1 Main St","city":"Austin","region":"TX","postalCode":"78701","country":"US"},"shippingMethod":"standard"'
api() {	# METHOD PATH [BODY]: the answer's body, then its status on a line of its own
	local m=$1 p=$2 b=${3:-}
	if [ -n "$b" ]; then
		curl -s -w '\n%{http_code}' -b "$J" -c "$J" -X "$m" -H "X-CSRF-Token: $TOK" -H 'Content-Type: application/json' \
			-H 'Accept: application/json' -H "Idempotency-Key: replica-$RANDOM-$RANDOM" --max-time 30 -d "$b" "$BASE$p"
	else
		curl -s -w '\n%{http_code}' -b "$J" -c "$J" -H 'Accept: application/json' --max-time 30 "$BASE$p"
	fi
}
GW0=$(counter gtid_waits) GT0=$(counter primary_gtid_timeout)
CART_OK=0 ORDER_OK=0 HIST_OK=0 PLACED=0 MISSES=
for ((i = 1; i <= ROUNDS; i++)); do
	if [ "$i" -eq $((ROUNDS / 2 + 1)) ]; then
		# The second half: the replica a few milliseconds behind (no
		# delay), so that the waits for the shopper's GTID succeed.
		GW_MID=$(counter gtid_waits) GT_MID=$(counter primary_gtid_timeout)
		REP_MID0=$(counter replica)
		note "first half (MASTER_DELAY = 3): $(slave_status SQL_Delay Seconds_Behind_Master)"
		rq "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 0; START SLAVE"
		wait_until 20 caught_up
	fi
	# 1, 2, 3, 1, ...: each round a quantity the last read did not show
	# (and an order light enough for every shipping method)
	qty=$((i % 3 + 1))
	api PATCH /api/cart "{\"itemId\":\"$SKU\",\"quantity\":$qty}" >/dev/null
	out=$(api GET /api/cart)
	[ "$(jq -r --arg s "$SKU" '[.items[] | select(.itemId == $s) | .quantity][0]' <<<"${out%$'\n'*}" 2>/dev/null)" = "$qty" ] &&
		CART_OK=$((CART_OK + 1)) || MISSES="$MISSES cart$i"
	amount=$(api POST /api/checkout/quote "{$ADDR}" | head -n 1 | jq -r .amount 2>/dev/null)
	out=$(api POST /api/checkout "{$ADDR,\"amount\":$amount,\"paymentMethod\":\"pm_card_visa\"}")
	code=${out##*$'\n'}
	id=$(jq -r .id <<<"${out%$'\n'*}" 2>/dev/null)
	if [ "$code" != 201 ] || [ -z "$id" ] || [ "$id" = null ]; then
		MISSES="$MISSES checkout$i:$code"
		continue
	fi
	PLACED=$((PLACED + 1))
	out=$(api GET "/api/orders/$id")
	[ "${out##*$'\n'}" = 200 ] && [ "$(jq -r .id <<<"${out%$'\n'*}")" = "$id" ] &&
		ORDER_OK=$((ORDER_OK + 1)) || MISSES="$MISSES order$i"
	out=$(api GET "/api/orders?size=5")
	[ "$(jq -r --arg id "$id" '[.items[] | select((.id | tostring) == $id)] | length' <<<"${out%$'\n'*}" 2>/dev/null)" = 1 ] &&
		HIST_OK=$((HIST_OK + 1)) || MISSES="$MISSES history$i"
done
GW1=$(counter gtid_waits) GT1=$(counter primary_gtid_timeout) REP_MID1=$(counter replica)
note "read-back loop: $PLACED orders; misses:${MISSES:- none}"
note "  replica 3 s behind: gtid_waits +$((GW_MID - GW0)), of which timed out (read on the primary) +$((GT_MID - GT0))"
note "  replica close behind: gtid_waits +$((GW1 - GW_MID)), of which timed out +$((GT1 - GT_MID)); history reads on the replica +$((REP_MID1 - REP_MID0)) of $((ROUNDS - ROUNDS / 2))"
check "the cart read back after each change ($CART_OK of $ROUNDS)" [ "$CART_OK" -eq "$ROUNDS" ]
check "each order placed is read back at once ($ORDER_OK of $PLACED placed, $ROUNDS tried)" [ "$PLACED" -eq "$ROUNDS" -a "$ORDER_OK" -eq "$PLACED" ]
check "the order history (a replica read) shows each order placed just before ($HIST_OK of $PLACED)" [ "$HIST_OK" -eq "$PLACED" -a "$PLACED" -gt 0 ]
check "the history's replica reads waited for the shopper's GTID: 3 s behind, the waits timed out and read the primary ($((GT_MID - GT0)) of $((GW_MID - GW0)))" \
	[ "$((GW_MID - GW0))" -gt 0 -a "$((GT_MID - GT0))" -gt 0 ]
check "close behind, the history right after the order is read on the replica ($((REP_MID1 - REP_MID0)) of $((ROUNDS - ROUNDS / 2)); waits $((GW1 - GW_MID)), $((GT1 - GT_MID)) timed out)" \
	[ "$((REP_MID1 - REP_MID0))" -gt 0 ]

# --- 3. not replicating: reads go to the primary ----------------------------
rq "STOP SLAVE SQL_THREAD"
sleep 0.5	# past every worker's next check (SHOP_DB_REPLICA_CHECK_MS)
LAG0=$(counter primary_lag) REP0=$(counter replica)
BAD=$(reads "$((READS / 4))")
LAG1=$(counter primary_lag) REP1=$(counter replica)
bench "reads on the primary (replica not replicating)"
check "the replica's SQL thread stopped: reads go to the primary (primary_lag +$((LAG1 - LAG0)), replica +$((REP1 - REP0))), pages answer ($BAD not 200)" \
	[ "$((LAG1 - LAG0))" -gt 0 -a "$((REP1 - REP0))" -eq 0 -a "$BAD" -eq 0 ]
rq "START SLAVE SQL_THREAD"
wait_until 20 caught_up

# --- 4. the replica down: reads go to the primary, pages keep answering ------
replica_stop
D0=$(($(counter primary_dead) + $(counter retried_on_primary))) REP0=$(counter replica)
BAD=$(reads "$((READS / 4))")
D1=$(($(counter primary_dead) + $(counter retried_on_primary))) REP1=$(counter replica)
check "the replica down: reads go to the primary (primary_dead + retried_on_primary +$((D1 - D0)), replica +$((REP1 - REP0))), pages answer ($BAD not 200)" \
	[ "$((D1 - D0))" -gt 0 -a "$((REP1 - REP0))" -eq 0 -a "$BAD" -eq 0 ]

# --- 5. the replica back: reads come back to it ------------------------------
t2=$SECONDS
if replica_start && wait_until 20 caught_up; then
	sleep 1.2	# SHOP_DB_REPLICA_RETRY_MS: the workers try it again
	REP0=$(counter replica) SEL0=$(com_select)
	BAD=$(reads "$((READS / 4))")
	REP1=$(counter replica) SEL1=$(com_select)
	check "the replica restarted ($((SECONDS - t2)) s to catch up): reads come back to it (replica +$((REP1 - REP0)), its Com_select +$((SEL1 - SEL0))), $BAD not 200" \
		[ "$((REP1 - REP0))" -gt 0 -a "$((SEL1 - SEL0))" -gt 0 -a "$BAD" -eq 0 ]
else
	notok "the replica restarts and catches up"
fi
"$BIN/shopctl" db-reads | sed 's/^/# /'
note "scenario took $((SECONDS - t0)) s"
[ "$FAILS" -eq 0 ]
