#!/usr/bin/env bash
# t/scale scenario (issue 20, part 2): Redis with Sentinel.
#
# On loopback, in a temp dir, on free ports: a Redis primary, one replica
# and three sentinels (redis-sentinel, down-after-milliseconds low); the
# shop's own stack (scripts/stack: MariaDB, paygate, searchd, shopd, nginx)
# with SHOP_REDIS_SENTINELS naming the sentinels, so shopd asks them for
# the primary. Signed-in shoppers sign in, put an item in their cart and
# place orders, again and again, while the primary is SIGKILLed. Sentinel
# promotes the replica; the shop must reconnect by itself within seconds and
# orders keep flowing. Shown with counters, not logs:
#   requests failed after the kill, seconds from the kill to the promotion
#   (as the sentinels report it) and to the first request that succeeded,
#   the longest request in the window (no worker hangs), orders placed
#   after the promotion, every acknowledged (201) order in MariaDB, and 0
#   units oversold or lost (from SQL).
# Each round is one failover; after it the old primary comes back as a
# replica of the new one. A "kill" round SIGKILLs the primary; a "by-hand"
# one demotes it with REPLICAOF under the shop's open connections
# (READONLY); a "graceful" one asks a sentinel for it (SENTINEL FAILOVER,
# as for maintenance: the old primary runs on, writable, until the
# sentinels demote it seconds later).
# SCALE=short (default, `make test`): 3 shoppers; kill, by-hand, graceful.
# SCALE=full (`make test-scale`): 6 shoppers; kill, kill, by-hand, graceful.
#
# Prints TAP lines (ok N - what / not ok N - what) and the measured numbers
# as "# " comments; exits nonzero when a check failed. Ignores the stack
# run-tests may have started; stops everything it started on exit
# (SCALE_KEEP=1 keeps the temp dir with every log).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export PATH="$PATH:/usr/sbin:/sbin"
SCALE=${SCALE:-short}
if [ "$SCALE" = full ]; then
	WORKERS=6 AFTER_ORDERS=30 AFTER_MAX=30 ROUNDS=(kill kill by-hand graceful)
else
	WORKERS=3 AFTER_ORDERS=4 AFTER_MAX=15 ROUNDS=(kill by-hand graceful)
fi
DOWN_MS=${SENTINEL_DOWN_MS:-1000}
MASTER=shop

T=$(mktemp -d /tmp/sentinel.XXXXXX)
. "$ROOT/t/scale/lib.bash"
note() { printf '# [%2d s] %s\n' "$SECONDS" "$*"; }
bail() {
	notok "$1"
	[ -n "${2:-}" ] && [ -s "$2" ] && tail -n 20 "$2" | sed 's/^/#   /'
	exit 1
}

# --- what this scenario starts, stopped on exit -----------------------------

unset SHOP_SOCKET SHOP_DB_SOCKET SHOP_REDIS_SOCKET SHOP_REDIS_HOST SHOP_REDIS_PORT SHOP_SECRET_FILE \
	SHOP_MEDIA_DIR SHOP_CARRIER_SECRET_FILE SHOP_PAYGATE_PORT SHOP_SEARCH_PORT SHOP_LIMIT_LOOPBACK SHOP_LISTEN \
	SHOP_REDIS_SENTINELS SHOP_REDIS_MASTER
export SHOP_HOME=$T/stack SHOP_ROOT=$ROOT SHOP_TEST_HOOKS=1
SHOP_PORT=$("$ROOT/scripts/freeport") || bail "find a free port"
export SHOP_PORT
BASE=http://127.0.0.1:$SHOP_PORT

cleanup() {
	local f pid
	touch "$T/stop" 2>/dev/null
	wait 2>/dev/null
	"$ROOT/scripts/stack" stop >"$T/stack-stop.log" 2>&1 || cat "$T/stack-stop.log" >&2
	for f in "$T"/r*/redis.pid "$T"/s*/sentinel.pid; do
		[ -s "$f" ] || continue
		pid=$(cat "$f")
		kill -KILL "$pid" 2>/dev/null || true
	done
	if [ -n "${SCALE_KEEP:-}" ]; then
		echo "# kept $T (SCALE_KEEP)"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

freeports() { # freeports N: N distinct free ports
	local -A seen=()
	local p
	while [ ${#seen[@]} -lt "$1" ]; do
		p=$("$ROOT/scripts/freeport") || return 1
		[ "$p" = "$SHOP_PORT" ] || seen[$p]=1
	done
	printf '%s\n' "${!seen[@]}"
}
mapfile -t PORTS < <(freeports 5)
[ ${#PORTS[@]} -eq 5 ] || bail "find free ports"
RP=("${PORTS[0]}" "${PORTS[1]}")	# Redis: r0 starts as the primary, r1 as its replica
SP=("${PORTS[2]}" "${PORTS[3]}" "${PORTS[4]}")	# sentinels

rcli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}" 2>/dev/null; }

start_redis() { # start_redis I [PRIMARY_PORT]: r$I on RP[I], a replica of PRIMARY_PORT if given
	local i=$1 d=$T/r$1 k
	mkdir -p "$d"
	redis-server --port "${RP[i]}" --bind 127.0.0.1 --daemonize yes --pidfile "$d/redis.pid" \
		--logfile "$d/redis.log" --dir "$d" --save '' --appendonly no \
		--repl-diskless-sync yes --repl-diskless-sync-delay 0 \
		${2:+--replicaof 127.0.0.1 "$2"} || return 1
	for ((k = 0; k < 50; k++)); do
		[ "$(rcli "${RP[i]}" ping)" = PONG ] && return 0
		sleep 0.1
	done
	return 1
}

start_sentinel() {
	local i=$1 d=$T/s$1 k
	mkdir -p "$d"
	cat >"$d/sentinel.conf" <<EOF
port ${SP[i]}
bind 127.0.0.1
daemonize yes
pidfile $d/sentinel.pid
logfile $d/sentinel.log
dir $d
sentinel monitor $MASTER 127.0.0.1 ${RP[0]} 2
sentinel down-after-milliseconds $MASTER $DOWN_MS
sentinel failover-timeout $MASTER 10000
sentinel parallel-syncs $MASTER 1
EOF
	redis-sentinel "$d/sentinel.conf" || return 1
	for ((k = 0; k < 50; k++)); do
		[ "$(rcli "${SP[i]}" ping)" = PONG ] && return 0
		sleep 0.1
	done
	return 1
}

# master_field SENTINEL_PORT FIELD: a field of SENTINEL MASTER shop.
master_field() {
	rcli "$1" SENTINEL MASTER "$MASTER" | awk -v f="$2" 'NR % 2 == 1 { k = $0 } NR % 2 == 0 && k == f { print; exit }'
}
primary_port() { rcli "${SP[$1]}" SENTINEL get-master-addr-by-name "$MASTER" | sed -n 2p; }

# Every sentinel knows the other two and the replica (a failover needs a
# majority of them to agree, and a replica they know).
sentinels_ready() {
	local i
	for i in 0 1 2; do
		[ "$(master_field "${SP[i]}" num-other-sentinels)" = 2 ] || return 1
		[ "$(master_field "${SP[i]}" num-slaves)" -ge 1 ] 2>/dev/null || return 1
	done
}

# linked PORT: that Redis is a replica whose link to its primary is up.
linked() {
	local info
	info=$(rcli "$1" INFO replication | tr -d '\r')
	grep -qx 'role:slave' <<<"$info" && grep -qx 'master_link_status:up' <<<"$info"
}

# changes PORT: the writes a Redis took since its start (it never saves).
changes() { rcli "$1" INFO persistence | tr -d '\r' | sed -n 's/^rdb_changes_since_last_save://p'; }

# replica_ok: every sentinel sees a replica that is up ("slave", no
# s_down) and linked to the primary.
replica_ok() {
	local i
	for i in 0 1 2; do
		rcli "${SP[i]}" SENTINEL REPLICAS "$MASTER" | awk '
			NR % 2 == 1 { k = $0; if (k == "name") f = 0 }
			k == "flags" && NR % 2 == 0 && $0 == "slave" { f = 1 }
			k == "master-link-status" && NR % 2 == 0 && $0 == "ok" && f { good = 1 }
			END { exit !good }' || return 1
	done
}

t0=$EPOCHREALTIME
start_redis 0 || bail "start the Redis primary" "$T/r0/redis.log"
start_redis 1 "${RP[0]}" || bail "start the Redis replica" "$T/r1/redis.log"
for i in 0 1 2; do
	start_sentinel "$i" || bail "start sentinel $i" "$T/s$i/sentinel.log"
done
# The shop's stack starts while the sentinels find each other (their hello
# messages take a few seconds); they name the primary from the start.
export SHOP_REDIS_SENTINELS="127.0.0.1:${SP[0]},127.0.0.1:${SP[1]},127.0.0.1:${SP[2]}" SHOP_REDIS_MASTER=$MASTER
"$ROOT/scripts/stack" start >"$T/stack-start.log" 2>&1 || bail "scripts/stack start with SHOP_REDIS_SENTINELS" "$T/stack-start.log"
ok "the shop's stack runs with SHOP_REDIS_SENTINELS"
for ((k = 0; k < 300; k++)); do
	sentinels_ready && [ "$(rcli "${RP[1]}" INFO replication | tr -d '\r' | sed -n 's/^master_link_status://p')" = up ] && break
	sleep 0.1
done
check "a Redis primary, a replica and three sentinels that know each other" sentinels_ready
note "redis on ${RP[*]}, sentinels on ${SP[*]}, down-after-milliseconds $DOWN_MS"
SQL=(mariadb --defaults-file="$SHOP_HOME/my.cnf" -N shop)
note "set-up took $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"

# --- shoppers --------------------------------------------------------------

mapfile -t SKUS < <("${SQL[@]}" -e "SELECT s.code FROM skus s JOIN products p ON p.id = s.product_id
	WHERE s.status = 'active' AND p.status = 'active' ORDER BY s.id LIMIT $WORKERS")
[ ${#SKUS[@]} -ge 1 ] || bail "find active SKUs"
SKU_LIST=$(printf "'%s'," "${SKUS[@]}")
SKU_LIST=${SKU_LIST%,}
"${SQL[@]}" -e "UPDATE inventory i JOIN skus s ON s.id = i.sku_id SET i.available = 100000
	WHERE s.code IN ($SKU_LIST) AND i.warehouse_id = (SELECT MIN(warehouse_id) FROM inventory WHERE sku_id = s.id)"

ADDR='"shippingAddress":{"name":"Sentinel Shopper","line1":"1 Main St","city":"Austin","region":"TX","postalCode":"78701","country":"US"},"shippingMethod":"standard"'

# req LOG STEP JAR TOKEN METHOD PATH [BODY [IDEMPOTENCY_KEY]]: sets CODE,
# the answer in $OUTF; logs "start end step code".
req() {
	local log=$1 step=$2 jar=$3 tok=$4 method=$5 path=$6 body=${7:-} key=${8:-} s e
	local -a h=(-H 'Content-Type: application/json' -H 'Accept: application/json')
	[ -n "$tok" ] && h+=(-H "X-CSRF-Token: $tok")
	[ -n "$key" ] && h+=(-H "Idempotency-Key: $key")
	[ -n "$body" ] && h+=(-d "$body")
	s=$EPOCHREALTIME
	CODE=$(curl -s -o "$OUTF" -w '%{http_code}' --max-time 15 -c "$jar" -b "$jar" -X "$method" "${h[@]}" "$BASE$path")
	[ -n "$CODE" ] || CODE=000
	e=$EPOCHREALTIME
	printf '%s %s %s %s\n' "$s" "$e" "$step" "$CODE" >>"$log"
}

signup() { # signup I: the account shopper I signs in with
	local jar=$T/u$1.jar OUTF=$T/u$1.out tok
	rm -f "$jar"
	req "$T/setup.log" session "$jar" "" GET /api/session
	tok=$(jq -r .csrfToken "$OUTF" 2>/dev/null)
	req "$T/setup.log" signup "$jar" "$tok" POST /api/users \
		"{\"name\":\"Sentinel $1\",\"email\":\"sentinel$1.$$@example.com\",\"password\":\"sentinel password $1\"}"
	[ "$CODE" = 201 ]
}

# One shopper: signs in, then PATCH /api/cart (1 unit), quote, checkout,
# again and again; signs in again every 4 orders, and whenever an answer
# says the session is gone (401, 403). A failed request is retried after
# 0.1 s. Placed orders' ids go to $T/orders.I.
worker() {
	local i=$1 jar=$T/w$1.jar log=$T/w$1.log OUTF=$T/w$1.out tok= signed=0 n=0 amount id
	local sku=${SKUS[$1 % ${#SKUS[@]}]}
	local email=sentinel$1.$$@example.com
	: >"$T/orders.$i"
	while [ ! -e "$T/stop" ]; do
		if [ $signed = 0 ]; then
			rm -f "$jar"
			req "$log" session "$jar" "" GET /api/session
			[ "$CODE" = 200 ] || { sleep 0.1; continue; }
			tok=$(jq -r .csrfToken "$OUTF")
			req "$log" signin "$jar" "$tok" POST /api/session "{\"email\":\"$email\",\"password\":\"sentinel password $i\"}"
			[ "$CODE" = 200 ] || { sleep 0.1; continue; }
			tok=$(jq -r .csrfToken "$OUTF")
			signed=1
		fi
		req "$log" cart "$jar" "$tok" PATCH /api/cart "{\"itemId\":\"$sku\",\"quantity\":1}"
		if [ "$CODE" != 200 ]; then
			case $CODE in 401 | 403) signed=0 ;; esac
			sleep 0.1
			continue
		fi
		req "$log" quote "$jar" "$tok" POST /api/checkout/quote "{$ADDR}"
		if [ "$CODE" != 200 ]; then
			case $CODE in 401 | 403) signed=0 ;; esac
			sleep 0.1
			continue
		fi
		amount=$(jq -r .amount "$OUTF")
		req "$log" checkout "$jar" "$tok" POST /api/checkout \
			"{$ADDR,\"amount\":$amount,\"paymentMethod\":\"pm_card_visa\"}" "sentinel-$$-$i-$n-$RANDOM"
		n=$((n + 1))
		if [ "$CODE" = 201 ]; then
			id=$(jq -r .id "$OUTF")
			printf '%s %s\n' "$EPOCHREALTIME" "$id" >>"$T/orders.$i"
			[ $((n % 4)) = 0 ] && signed=0
		else
			case $CODE in 401 | 403) signed=0 ;; esac
			sleep 0.1
		fi
	done
}

for ((i = 0; i < WORKERS; i++)); do
	signup "$i" || bail "register shopper $i (POST /api/users answered $CODE)"
done
# The sessions are on the sentinels' primary, not on the stack's own Redis.
keys_primary=$(rcli "${RP[0]}" DBSIZE)
keys_stack=$(redis-cli -s "$SHOP_HOME/run/redis.sock" DBSIZE 2>/dev/null)
note "keys on the Sentinel primary: $keys_primary; on the stack's own Redis: $keys_stack"
check "shopd keeps its sessions on the primary the sentinels named" \
	[ "${keys_primary:-0}" -ge "$WORKERS" -a "${keys_stack:-0}" = 0 ]

# Stock before, from SQL: what the shopped SKUs' units add up to (sold,
# held, on the shelf, in shards); the same sum after means 0 oversold and
# 0 lost.
units() {
	"${SQL[@]}" -e "SELECT
	  (SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN skus s ON s.id = l.sku_id
	    WHERE s.code IN ($SKU_LIST) AND o.status IN ('confirmed', 'fulfilling', 'shipped', 'delivered')) +
	  (SELECT COALESCE(SUM(h.quantity), 0) FROM holds h JOIN skus s ON s.id = h.sku_id WHERE s.code IN ($SKU_LIST) AND h.state = 'held') +
	  (SELECT COALESCE(SUM(i.available), 0) FROM inventory i JOIN skus s ON s.id = i.sku_id WHERE s.code IN ($SKU_LIST)) +
	  (SELECT COALESCE(SUM(k.available), 0) FROM stock_shards k JOIN skus s ON s.id = k.sku_id WHERE s.code IN ($SKU_LIST))"
}
UNITS_BEFORE=$(units)

for ((i = 0; i < WORKERS; i++)); do
	worker "$i" &
done

count_orders() { cat "$T"/orders.* 2>/dev/null | wc -l; }
# orders_since EPOCH: orders acknowledged after EPOCH
orders_since() { cat "$T"/orders.* 2>/dev/null | awk -v t="$1" '$1 > t' | wc -l; }

for ((k = 0; k < 200 && $(count_orders) < WORKERS; k++)); do sleep 0.1; done
check "orders flow before the kill ($(count_orders) placed)" [ "$(count_orders)" -ge "$WORKERS" ]

# by_hand ROUND: a primary demoted behind the shop's back (a partition that
# healed, an operator's REPLICAOF), while the shoppers go on. REPLICAOF
# keeps the primary's clients connected (Sentinel's own switch kills
# them), so the workers' open connections now lead to a replica and their
# next write meets READONLY; the shop must ask the sentinels again and send
# the write once more, so no request fails. To lose no write in the switch:
# the sentinels stop watching (SENTINEL REMOVE), the old primary's writes
# are paused (CLIENT PAUSE WRITE, for less than the shop's 1 s command
# timeout: they wait, then meet READONLY), the replica catches up with what
# the old primary had acknowledged, the replica becomes the primary,
# the sentinels watch it, the old primary becomes its replica, writes
# resume. Redis's own counter (INFO errorstats) shows the READONLY replies
# were met.
by_hand() {
	local round=$1 old=${RP[primary]} new=${RP[1 - primary]} h0 h1 h2 ro ro_bad ro_n pids=()
	for i in 0 1 2; do rcli "${SP[i]}" SENTINEL REMOVE "$MASTER" >/dev/null; done
	h0=$EPOCHREALTIME
	rcli "$old" CLIENT PAUSE 900 WRITE >/dev/null
	# The replica first takes everything the old primary acknowledged
	# before the pause: replication is asynchronous, and a replica
	# promoted a few milliseconds behind loses those writes (on a loaded
	# machine, sessions just made: their next request answered 403). A
	# careful operator waits, as Sentinel's graceful failover does.
	local want got k
	want=$(rcli "$old" INFO replication | tr -d '\r' | sed -n 's/^master_repl_offset://p')
	for ((k = 0; k < 50; k++)); do
		got=$(rcli "$new" INFO replication | tr -d '\r' | sed -n 's/^slave_repl_offset://p')
		[ "${got:-0}" -ge "${want:-0}" ] && break
		sleep 0.01
	done
	rcli "$new" REPLICAOF NO ONE >/dev/null
	for i in 0 1 2; do
		printf 'SENTINEL MONITOR %s 127.0.0.1 %s 2\nSENTINEL SET %s down-after-milliseconds %s failover-timeout 10000\n' \
			"$MASTER" "$new" "$MASTER" "$DOWN_MS" | redis-cli -h 127.0.0.1 -p "${SP[i]}" >/dev/null 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
	rcli "$old" REPLICAOF 127.0.0.1 "$new" >/dev/null
	rcli "$old" CLIENT UNPAUSE >/dev/null
	h1=$EPOCHREALTIME
	sleep 2
	h2=$EPOCHREALTIME
	read -r ro_bad ro_n < <(cat "$T"/w*.log | awk -v a="$h0" -v b="$h2" '$2 >= a && $1 <= b { n++; if ($4 != 200 && $4 != 201) f++ }
		END { printf "%d %d\n", f, n }')
	ro=$(rcli "$old" INFO errorstats | tr -d '\r' | sed -n 's/^errorstat_READONLY:count=//p')
	note "round $round (by hand): writes paused for $(awk -v a="$h0" -v b="$h1" 'BEGIN { printf "%.2f", b - a }') s (at most 0.9);" \
		"READONLY replies ${ro:-0}; requests failed $ro_bad of $ro_n in the 2 s from the switch on"
	check "round $round (by hand): the READONLY answer sends the shop to the new primary (${ro:-0} met, $ro_bad of $ro_n failed)" \
		[ "${ro:-0}" -ge 1 -a "$ro_bad" = 0 ]
}

# failover ROUND HOW: the primary SIGKILLed (kill) or handed over by the
# sentinels (graceful: SENTINEL FAILOVER, as for maintenance); the
# promotion as the sentinels report it, then the shoppers' counters.
failover() {
	local round=$1 how=$2 old=${RP[primary]} pid what p k KILL PROMOTED END w0 w1 after
	local failed total first_ok longest late promote_s
	pid=$(cat "$T/r$primary/redis.pid")
	if [ "$how" = kill ]; then
		# The kill: no goodbye to the clients or the sentinels.
		kill -KILL "$pid"
		what="the primary on $old was SIGKILLed"
	else
		rcli "${SP[1]}" SENTINEL FAILOVER "$MASTER" >"$T/failover.out"
		what="SENTINEL FAILOVER ($(cat "$T/failover.out")) demoted the primary on $old"
	fi
	KILL=$EPOCHREALTIME
	PROMOTED=
	for ((k = 0; k < 300; k++)); do
		p=$(primary_port 0)
		if [ -n "$p" ] && [ "$p" != "$old" ] && [ "$(rcli "$p" ROLE | head -n 1)" = master ]; then
			PROMOTED=$EPOCHREALTIME
			break
		fi
		sleep 0.1
	done
	[ -n "$PROMOTED" ] || bail "round $round: the sentinels promote the replica" "$T/s0/sentinel.log"
	ok "round $round ($how): Sentinel promoted 127.0.0.1:$p after $what"
	# Traffic until AFTER_ORDERS orders after the promotion (or AFTER_MAX s).
	# A demoted primary that still runs (graceful) stays writable until
	# the sentinels reconfigure it, seconds later: the shop must leave it
	# by itself. Its count of writes (rdb_changes_since_last_save: this
	# Redis never saves) must not move from 2 s after the promotion on.
	if [ "$how" = graceful ]; then
		sleep 2
		w0=$(changes "$old")
	fi
	for ((k = 0; k < AFTER_MAX * 10 && $(orders_since "$PROMOTED") < AFTER_ORDERS; k++)); do sleep 0.1; done
	if [ "$how" = graceful ]; then
		w1=$(changes "$old")
		note "round $round (graceful): writes the demoted primary took: $w0 until 2 s after the promotion, $w1 at the end"
		check "round $round: the shop left the demoted primary by itself (no write reached it from 2 s after the promotion on)" \
			[ "$w0" = "$w1" ]
	fi
	END=$EPOCHREALTIME
	after=$(orders_since "$PROMOTED")
	# The window's counters, from the shoppers' request logs. A request
	# counts in the window when it ended after the kill; one that failed
	# after the promotion met a connection the shop had not replaced yet
	# (or a session the failover lost).
	read -r failed total first_ok longest late < <(cat "$T"/w*.log | awk -v k="$KILL" -v p="$PROMOTED" -v e="$END" '
		$2 >= k && $1 <= e { n++; if ($4 != 200 && $4 != 201) { f++; if ($1 > p) lf++ }
			if ($2 - $1 > l) l = $2 - $1
			if ($1 >= k && ($4 == 200 || $4 == 201) && (first == "" || $2 < first)) first = $2 }
		END { printf "%d %d %.2f %.2f %d\n", f, n, (first == "" ? -1 : first - k), l, lf }')
	promote_s=$(awk -v a="$KILL" -v b="$PROMOTED" 'BEGIN { printf "%.2f", b - a }')
	note "round $round ($how): from the $how to the promotion ${promote_s} s, to the first request answered 2xx ${first_ok} s;" \
		"requests failed ${failed} of ${total} (${late} sent after the promotion); longest request ${longest} s;" \
		"orders after the promotion ${after}"
	check "round $round: the shop answers again within seconds (first success ${first_ok} s after the $how)" \
		awk -v x="$first_ok" 'BEGIN { exit !(x >= 0 && x < 10) }'
	check "round $round: orders keep flowing ($after placed after the promotion)" [ "$after" -ge 1 ]
	check "round $round: no request hangs a worker (longest ${longest} s)" awk -v x="$longest" 'BEGIN { exit !(x < 5) }'
}

primary=0
for ((round = 1; round <= ${#ROUNDS[@]}; round++)); do
	how=${ROUNDS[round - 1]}
	if [ "$how" = by-hand ]; then
		by_hand "$round"
	else
		failover "$round" "$how"
	fi
	primary=$((1 - primary))
	((round < ${#ROUNDS[@]})) || break
	# Before the next round the old primary must be a replica the
	# sentinels count on (up, its +sdown cleared, linked), and the
	# sentinels must know each other (after SENTINEL MONITOR they meet
	# again): or none would promote it. A killed primary comes back
	# (empty: no persistence here) as a replica of the new one; one
	# demoted by hand is one already; one handed over the sentinels
	# reconfigure themselves (about 8 s after the promotion).
	if [ "$how" = kill ]; then
		start_redis "$((1 - primary))" "${RP[primary]}" || bail "restart the old primary as a replica"
	fi
	# (A kill needs the sentinels to agree, so to know each other; a
	# graceful failover is one sentinel's decision.)
	next=${ROUNDS[round]}
	ready_for_next() {
		{ [ "$next" != kill ] || sentinels_ready; } && replica_ok && linked "${RP[1 - primary]}"
	}
	for ((k = 0; k < 300; k++)); do
		ready_for_next && break
		sleep 0.1
	done
	check "the old primary is back as a replica of the new one, and the sentinels count on it" ready_for_next
done

touch "$T/stop"
wait
note "traffic stopped"
# Orders whose payment was still on its way settle first (30 s at most).
for ((k = 0; k < 300; k++)); do
	[ "$("${SQL[@]}" -e "SELECT COUNT(*) FROM checkouts WHERE state IN ('reserved', 'authorizing')")" = 0 ] && break
	sleep 0.1
done

placed=$(count_orders)
ids=$(cat "$T"/orders.* | awk '{ print $2 }' | paste -sd, -)
found=$("${SQL[@]}" -e "SELECT COUNT(*) FROM orders WHERE id IN ($ids) AND status IN ('confirmed', 'fulfilling', 'shipped', 'delivered')")
check "every acknowledged order is in MariaDB ($found of $placed)" [ "$found" = "$placed" ]
UNITS_AFTER=$(units)
neg=$("${SQL[@]}" -e "SELECT COUNT(*) FROM inventory i JOIN skus s ON s.id = i.sku_id WHERE s.code IN ($SKU_LIST) AND i.available < 0")
check "0 oversold, 0 lost: the units add up ($UNITS_BEFORE before, $UNITS_AFTER after), no shelf below 0" \
	[ "$UNITS_BEFORE" = "$UNITS_AFTER" -a "$neg" = 0 ]
all=$(cat "$T"/w*.log | wc -l)
bad=$(cat "$T"/w*.log | awk '$4 != 200 && $4 != 201' | wc -l)
note "in all: $placed orders, $all requests, $bad failed; $(sort "$T"/w*.log | awk '$4 != 200 && $4 != 201 { c[$3 " " $4]++ } END { for (x in c) printf "%s: %d  ", x, c[x] }')"
note "checks done; stopping the servers"
echo "1..$N"
[ "$FAILS" = 0 ]
