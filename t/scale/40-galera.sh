#!/usr/bin/env bash
# t/scale scenario (issue 20, part 4): the shop's writes on a Galera cluster.
#
# On loopback, in a temp dir, on free ports: three MariaDB nodes with
# galera-4 (conf/galera.cnf; node1 bootstraps the cluster, node2 and node3
# join by a full state transfer over rsync), haproxy in front of them
# (conf/haproxy-galera.cfg: node1 the one writer, node2 and node3 backups,
# conf/galera-check its health check), and the shop's own stack
# (scripts/stack with SHOP_DB_EXTERNAL=1: Redis, paygate, searchd, shopd,
# nginx; the schema, migrations and demo catalog loaded through haproxy).
# Signed-in shoppers place orders (build/t/load/checkout_load, every request
# logged) while the writer, node1, is SIGKILLed; then node1 is started
# again and rejoins by an incremental transfer (IST). Shown with data, not
# logs:
#   every table has a primary key (information_schema);
#   every acknowledged (201) order is in the cluster, on each of the three
#   nodes; 0 oversold (stock conserved per SKU and warehouse, as in
#   scripts/run-tests, and no shelf below 0); orders placed after the kill
#   (the rest of the cluster carried on); node1 back, by IST, and
#   wsrep_cluster_size 3 again; with a second writer on node2 for a few
#   seconds the shop's transactions meet certification conflicts and are
#   run again (orders still acknowledged); the three nodes hold the same
#   inventory.
# Numbers (as "# " lines): seconds from the kill to haproxy's switch and to
# the first acknowledged order, requests failed, the rejoin's time and cost.
# SCALE=short (default, `make test`): 4 shoppers, one kill. SCALE=full
# (`make test-scale`): 8 shoppers, longer traffic before and after, a
# steady throughput figure, a backup node (node3) killed and rejoined, and
# the writer cut off from the group while alive (gmcast.isolate: it answers
# 1047 until haproxy moves the shop) and let back.
#
# Prints TAP lines (ok N - what / not ok N - what) and exits nonzero when a
# check failed. Ignores the stack run-tests may have started; stops all it
# started on exit.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export PATH="$PATH:/usr/sbin:/sbin"
SCALE=${SCALE:-short}
if [ "$SCALE" = full ]; then
	SHOPPERS=8 BEFORE=40 AFTER=60 AFTER_REJOIN=30 CONFLICT_S=15 STEADY_S=10
else
	SHOPPERS=4 BEFORE=8 AFTER=8 AFTER_REJOIN=4 CONFLICT_S=3 STEADY_S=0
fi

T=$(mktemp -d /tmp/galera.XXXXXX)
. "$ROOT/t/scale/lib.bash"
bail() {
	notok "$1"
	local f
	for f in "${@:2}"; do
		[ -s "$f" ] && { note "--- $f"; tail -n 30 "$f" | sed 's/^/#   /'; }
	done
	echo "1..$N"
	exit 1
}
since() { awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.1f", b - a }'; }
T0=$EPOCHREALTIME

# --- what this scenario starts, stopped on exit -----------------------------

unset SHOP_SOCKET SHOP_DB_SOCKET SHOP_REDIS_SOCKET SHOP_REDIS_HOST SHOP_REDIS_PORT SHOP_SECRET_FILE \
	SHOP_MEDIA_DIR SHOP_CARRIER_SECRET_FILE SHOP_PAYGATE_PORT SHOP_SEARCH_PORT SHOP_REDIS_SENTINELS \
	SHOP_DB_HOST SHOP_DB_PORT SHOP_DB_USER SHOP_DB_PASSWORD SHOP_DB_REPLICAS SHOP_APP_HOSTS SHOP_JOBS_HOSTS
export SHOP_HOME=$T/stack SHOP_ROOT=$ROOT SHOP_TEST_HOOKS=1

LOAD_PID=
cleanup() {
	local i pid
	touch "$T/stop" 2>/dev/null
	if [ -n "$LOAD_PID" ]; then
		kill "$LOAD_PID" 2>/dev/null
		wait "$LOAD_PID" 2>/dev/null
	fi
	if [ -d "$SHOP_HOME/run" ]; then
		"$ROOT/scripts/stack" stop >"$T/stack-stop.log" 2>&1 || cat "$T/stack-stop.log" >&2
	fi
	pid=$(cat "$T/haproxy/haproxy.pid" 2>/dev/null)
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
	for i in 1 2 3; do
		pid=$(cat "$T/n$i/mysqld.pid" 2>/dev/null) || continue
		kill -TERM "$pid" 2>/dev/null
	done
	for i in 1 2 3; do
		pid=$(cat "$T/n$i/mysqld.pid" 2>/dev/null) || continue
		for ((k = 0; k < 150 && $(kill -0 "$pid" 2>/dev/null && echo 1 || echo 0) == 1; k++)); do sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
	done
	# rsync daemons an interrupted state transfer may have left
	for pid in $(cat "$T"/n*/data/rsync_sst.pid 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null
	done
	# GALERA_KEEP=1 keeps the directory (logs, data) for a look.
	[ "${GALERA_KEEP:-0}" = 1 ] && echo "# kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

freeports() { # freeports N: N distinct free ports
	local -A seen=()
	local p
	while [ ${#seen[@]} -lt "$1" ]; do
		p=$("$ROOT/scripts/freeport") || return 1
		seen[$p]=1
	done
	printf '%s\n' "${!seen[@]}"
}
mapfile -t PORTS < <(freeports 14)
[ ${#PORTS[@]} -eq 14 ] || bail "find free ports"
# node i (1..3): SQL port, group port, IST port, SST (rsync) port
for i in 1 2 3; do
	j=$(((i - 1) * 4))
	SQLP[i]=${PORTS[j]} GP[i]=${PORTS[j + 1]} ISTP[i]=${PORTS[j + 2]} SSTP[i]=${PORTS[j + 3]}
done
HAPORT=${PORTS[12]}
export SHOP_PORT=${PORTS[13]}
BASE=http://127.0.0.1:$SHOP_PORT
CLUSTER=127.0.0.1:${GP[1]},127.0.0.1:${GP[2]},127.0.0.1:${GP[3]}

# --- the cluster -------------------------------------------------------------

render() { # render TEMPLATE OUT KEY=VALUE...
	local text pair
	text=$(<"$ROOT/conf/$1")
	for pair in "${@:3}"; do
		text=${text//"@${pair%%=*}@"/"${pair#*=}"}
	done
	printf '%s\n' "$text" >"$2"
}

node_sql() { # node_sql I SQL: one statement on node I (not through haproxy)
	mariadb --defaults-file="$T/n$1/my.cnf" --connect-timeout=2 -N -B shop -e "$2" 2>/dev/null
}
wsrep() { # wsrep I VARIABLE: a wsrep status variable of node I
	mariadb --defaults-file="$T/n$1/my.cnf" --connect-timeout=1 -N -B \
		-e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | awk '{ print $2 }'
}
synced() { [ "$(wsrep "$1" wsrep_local_state)" = 4 ]; }
node_pid() { cat "$T/n$1/mysqld.pid" 2>/dev/null; }
node_alive() { local p; p=$(node_pid "$1") && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

start_node() { # start_node I [--wsrep-new-cluster]
	local i=$1 d=$T/n$1 user_line="# runs as the user who started the scenario"
	[ "$(id -u)" -eq 0 ] && user_line="user=root"
	mkdir -p "$d/data" "$d/tmp"
	render galera.cnf "$d/my.cnf" DIR="$d" NAME="node$i" PORT="${SQLP[i]}" GPORT="${GP[i]}" \
		ISTPORT="${ISTP[i]}" SSTPORT="${SSTP[i]}" CLUSTER="$CLUSTER" USER_LINE="$user_line"
	# A joiner's rsync daemon, started by root, writes as nobody (rsync's
	# default for a daemon run as root): the datadir a full transfer fills
	# must be nobody's. mariadbd itself runs as root and reads anything.
	if [ "$(id -u)" -eq 0 ] && { [ "$i" != 1 ] || [ -d "$d/data/mysql" ]; }; then
		chown -R nobody:nogroup "$d/data"
	fi
	rm -f "$d/mysqld.pid"
	setsid mariadbd --defaults-file="$d/my.cnf" "${@:2}" </dev/null >>"$d/stdout.log" 2>&1 &
	disown
}

wait_synced() { # wait_synced I SECONDS
	local k
	for ((k = 0; k < $2 * 10; k++)); do
		synced "$1" && return 0
		[ $k -gt 20 ] && ! node_alive "$1" && ! pgrep -f "defaults-file=$T/n$1/my.cnf" >/dev/null && return 1
		sleep 0.1
	done
	return 1
}

t=$EPOCHREALTIME
mkdir -p "$T/n1/data" "$T/n1/tmp"
render galera.cnf "$T/n1/my.cnf" DIR="$T/n1" NAME=node1 PORT="${SQLP[1]}" GPORT="${GP[1]}" \
	ISTPORT="${ISTP[1]}" SSTPORT="${SSTP[1]}" CLUSTER="$CLUSTER" USER_LINE="$([ "$(id -u)" -eq 0 ] && echo user=root)"
mariadb-install-db --defaults-file="$T/n1/my.cnf" --auth-root-authentication-method=normal --skip-test-db \
	</dev/null >"$T/n1/install.log" 2>&1 || bail "mariadb-install-db for node1" "$T/n1/install.log"
start_node 1 --wsrep-new-cluster
wait_synced 1 60 || bail "bootstrap node1 (--wsrep-new-cluster)" "$T/n1/mariadb.log"
BOOT_S=$(since "$t")
t=$EPOCHREALTIME
# Both join at once; one full copy at a time from the donor (a second
# joiner waits for the first, or takes it from the first once it is synced).
start_node 2
start_node 3
wait_synced 2 120 || bail "node2 joins (SST by rsync)" "$T/n2/mariadb.log" "$T/n1/mariadb.log"
wait_synced 3 120 || bail "node3 joins (SST by rsync)" "$T/n3/mariadb.log" "$T/n1/mariadb.log"
JOIN_S=$(since "$t")
size=$(wsrep 1 wsrep_cluster_size)
check "a 3-node Galera cluster on loopback (node1 bootstrapped in ${BOOT_S} s, node2 and node3 joined by rsync SST in ${JOIN_S} s)" \
	[ "$size" = 3 ]
note "nodes' SQL ports ${SQLP[*]}, group ports ${GP[*]}"

# --- haproxy: one writer ------------------------------------------------------

mkdir -p "$T/haproxy"
render haproxy-galera.cfg "$T/haproxy/haproxy.cfg" DIR="$T/haproxy" PORT="$HAPORT" CHECK="$ROOT/conf/galera-check" \
	N1="${SQLP[1]}" N2="${SQLP[2]}" N3="${SQLP[3]}"
haproxy -c -q -f "$T/haproxy/haproxy.cfg" >"$T/haproxy/check.log" 2>&1 || bail "haproxy configuration" "$T/haproxy/check.log"
haproxy -D -f "$T/haproxy/haproxy.cfg" >"$T/haproxy/haproxy.log" 2>&1 || bail "start haproxy" "$T/haproxy/haproxy.log"
# status NODE: haproxy's view of a node (UP, DOWN, ...)
hastatus() {
	echo "show stat" | socat -T 2 stdio "unix-connect:$T/haproxy/haproxy.sock" 2>/dev/null |
		awk -F, -v s="$1" '$1 == "galera" && $2 == s { print $18 }'
}
for ((k = 0; k < 100; k++)); do
	[ "$(hastatus node1)" = UP ] && [ "$(hastatus node2)" = UP ] && break
	sleep 0.1
done
ha_sql() { mariadb --no-defaults -h 127.0.0.1 -P "$HAPORT" --protocol=tcp -u root --connect-timeout=2 -N -B "$@" 2>/dev/null; }
check "haproxy sends the shop to node1 (node1 $(hastatus node1), node2 $(hastatus node2) backup, node3 $(hastatus node3) backup)" \
	[ "$(ha_sql -e 'SELECT @@wsrep_node_name')" = node1 ]

# --- the shop on the cluster --------------------------------------------------

t=$EPOCHREALTIME
export SHOP_DB_EXTERNAL=1 SHOP_DB_HOST=127.0.0.1 SHOP_DB_PORT=$HAPORT
"$ROOT/scripts/stack" start >"$T/stack-start.log" 2>&1 ||
	bail "scripts/stack start with SHOP_DB_EXTERNAL=1 on haproxy" "$T/stack-start.log"
STACK_S=$(since "$t")
ok "the shop's stack runs on the cluster through haproxy (schema, migrations and demo catalog loaded in ${STACK_S} s)"
SQL=(ha_sql shop)

nopk=$("${SQL[@]}" -e "SELECT GROUP_CONCAT(t.table_name ORDER BY t.table_name) FROM information_schema.tables t
	WHERE t.table_schema = 'shop' AND t.table_type = 'BASE TABLE' AND NOT EXISTS (
	  SELECT 1 FROM information_schema.table_constraints c WHERE c.table_schema = t.table_schema
	  AND c.table_name = t.table_name AND c.constraint_type = 'PRIMARY KEY')")
ntables=$("${SQL[@]}" -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'shop' AND table_type = 'BASE TABLE'")
notinno=$("${SQL[@]}" -e "SELECT GROUP_CONCAT(table_name) FROM information_schema.tables WHERE table_schema = 'shop'
	AND table_type = 'BASE TABLE' AND engine <> 'InnoDB'")
check "every one of the shop's $ntables tables has a primary key and is InnoDB (Galera replicates by key; without: ${nopk}; not InnoDB: ${notinno})" \
	[ "$nopk" = NULL ] && [ "$notinno" = NULL ]

# --- shoppers --------------------------------------------------------------

mapfile -t SKUS < <("${SQL[@]}" -e "SELECT s.code FROM skus s JOIN products p ON p.id = s.product_id
	WHERE s.status = 'active' AND p.status = 'active' AND s.id IN (SELECT sku_id FROM inventory)
	ORDER BY s.id LIMIT 2")
[ ${#SKUS[@]} -eq 2 ] || bail "find two active SKUs"
SKU_LIST="'${SKUS[0]}','${SKUS[1]}'"
# Stock for the run, as a seller's adjustment would record it (a movement
# beside the change), so that stock stays conserved.
"${SQL[@]}" -e "START TRANSACTION;
	UPDATE inventory i JOIN skus s ON s.id = i.sku_id SET i.available = i.available + 5000
	  WHERE s.code IN ($SKU_LIST) AND i.warehouse_id = (SELECT MIN(warehouse_id) FROM inventory WHERE sku_id = s.id);
	INSERT INTO stock_movements (sku_id, warehouse_id, seller_id, delta, available_after, reason, actor)
	  SELECT i.sku_id, i.warehouse_id, p.seller_id, 5000, i.available, 'galera scenario', 'test:galera'
	  FROM inventory i JOIN skus s ON s.id = i.sku_id JOIN products p ON p.id = s.product_id
	  WHERE s.code IN ($SKU_LIST) AND i.warehouse_id = (SELECT MIN(warehouse_id) FROM inventory WHERE sku_id = s.id);
	COMMIT" || bail "stock the SKUs"

ADDR='"shippingAddress":{"name":"Galera Buyer","line1":"1 Main St","city":"Austin","region":"TX","postalCode":"78701","country":"US"},"shippingMethod":"standard"'
# One signed-in shopper per line "sid csrf sku amount" (as scripts/bench's
# buyers): half of them on each SKU, so each SKU's rows are hot.
: >"$T/buyers"
for ((i = 0; i < SHOPPERS; i++)); do
	jar=$T/jar.$i email=galera$i.$$@example.com sku=${SKUS[i % 2]}
	tok=$(curl -s -c "$jar" -b "$jar" "$BASE/api/session" | jq -r .csrfToken)
	code=$(curl -s -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" -H "X-CSRF-Token: $tok" -H 'Content-Type: application/json' \
		-d "{\"name\":\"Galera $i\",\"email\":\"$email\",\"password\":\"galera password $i\"}" "$BASE/api/users")
	[ "$code" = 201 ] || bail "register shopper $i (POST /api/users answered $code)"
	tok=$(curl -s -c "$jar" -b "$jar" -H "X-CSRF-Token: $tok" -H 'Content-Type: application/json' \
		-d "{\"email\":\"$email\",\"password\":\"galera password $i\"}" "$BASE/api/session" | jq -r .csrfToken)
	sid=$(awk '$6 == "sid" { print $7 }' "$jar")
	curl -s -o /dev/null -X PATCH -b "$jar" -H "X-CSRF-Token: $tok" -H 'Content-Type: application/json' \
		-d "{\"itemId\":\"$sku\",\"quantity\":1}" "$BASE/api/cart"
	amount=$(curl -s -b "$jar" -H "X-CSRF-Token: $tok" -H 'Content-Type: application/json' -d "{$ADDR}" \
		"$BASE/api/checkout/quote" | jq -r .amount)
	[[ $amount =~ ^[0-9]+$ ]] && [ -n "$sid" ] || bail "sign in shopper $i and quote one unit of $sku"
	printf '%s %s %s %s\n' "$sid" "$tok" "$sku" "$amount" >>"$T/buyers"
done

# stock_conserved: what scripts/run-tests checks after every http suite:
# for every SKU and warehouse the movements add up to the units on hand,
# held, sold, in sales and shipped. Prints the rows that do not (none: ok).
stock_unconserved() {
	mariadb "$@" -N -B shop -e "
		SELECT CONCAT('sku ', i.sku_id, ' warehouse ', i.warehouse_id, ': movements ', m.total,
			      ', on hand ', i.available, ' + held ', i.reserved, ' + sold ', i.committed)
		FROM inventory i
		LEFT JOIN (SELECT sku_id, warehouse_id, SUM(delta) AS total FROM stock_movements
			   GROUP BY sku_id, warehouse_id) m ON m.sku_id = i.sku_id AND m.warehouse_id = i.warehouse_id
		LEFT JOIN (SELECT sku_id, warehouse_id, SUM(quantity) AS total FROM
			   (SELECT sku_id, warehouse_id, quantity FROM holds WHERE state = 'shipped'
			    UNION ALL SELECT sku_id, warehouse_id, quantity FROM holds_archive WHERE state = 'shipped') sh
			   GROUP BY sku_id, warehouse_id) s ON s.sku_id = i.sku_id AND s.warehouse_id = i.warehouse_id
		LEFT JOIN (SELECT sku_id, warehouse_id, SUM(available + reserved + committed) AS total
			   FROM stock_shards GROUP BY sku_id, warehouse_id) ss
			ON ss.sku_id = i.sku_id AND ss.warehouse_id = i.warehouse_id
		WHERE COALESCE(m.total, 0) <> i.available + i.reserved + i.committed + COALESCE(ss.total, 0)
			+ COALESCE(s.total, 0) OR i.available < 0 OR i.reserved < 0
		LIMIT 20" 2>&1
}
bad=$(stock_unconserved --no-defaults -h 127.0.0.1 -P "$HAPORT" --protocol=tcp -u root)
check "stock is conserved before the traffic${bad:+: $bad}" [ -z "$bad" ]

# --- traffic, the kill, the rejoin -------------------------------------------

LOG=$T/requests.log
: >"$LOG"
CHECKOUT_LOAD_LOG=$LOG CHECKOUT_LOAD_STOP=$T/stop "$ROOT/build/t/load/checkout_load" shop "$BASE" "$T/buyers" 600 \
	>"$T/load.out" 2>"$T/load.err" &
LOAD_PID=$!
acked() { awk -v t="${1:-0}" '$3 == "checkout" && $4 == 201 && $2 > t' "$LOG" | wc -l; }
wait_acked() { # wait_acked SINCE COUNT SECONDS: COUNT orders acknowledged after SINCE
	local k
	for ((k = 0; k < $3 * 10; k++)); do
		[ "$(acked "$1")" -ge "$2" ] && return 0
		kill -0 "$LOAD_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
t=$EPOCHREALTIME
wait_acked 0 "$BEFORE" 60 || bail "orders flow through the cluster before the kill" "$T/load.err" "$SHOP_HOME/log/shopd.log"
ok "orders flow before the kill ($(acked) acknowledged in $(since "$t") s)"
if [ "$STEADY_S" -gt 0 ]; then
	# The cluster's checkout throughput with all three nodes up, for
	# docs/scaling.md (the same traffic on one MariaDB is the baseline).
	s0=$EPOCHREALTIME
	sleep "$STEADY_S"
	s1=$EPOCHREALTIME
	read -r n p50 < <(awk -v a="$s0" -v b="$s1" '$3 == "checkout" && $4 == 201 && $2 >= a && $2 <= b { print $2 - $1 }' "$LOG" |
		sort -n | awk '{ v[NR] = $1 } END { printf "%d %.0f\n", NR, NR ? v[int((NR + 1) / 2)] * 1000 : 0 }')
	note "steady, 3 nodes up, $SHOPPERS shoppers: $n orders in $(since "$s0" "$s1") s = $(awk -v n="$n" -v a="$s0" -v b="$s1" 'BEGIN { printf "%.1f", n / (b - a) }') orders/s, checkout p50 ${p50} ms"
fi

# The kill: node1, the writer, with no goodbye.
KILL=$EPOCHREALTIME
kill -KILL "$(node_pid 1)"
SWITCHED="" SIZE2=""
for ((k = 0; k < 300; k++)); do
	[ -z "$SWITCHED" ] && [ "$(hastatus node1)" = DOWN ] && SWITCHED=$EPOCHREALTIME
	[ -z "$SIZE2" ] && [ "$(wsrep 2 wsrep_cluster_size)" = 2 ] && SIZE2=$EPOCHREALTIME
	[ -n "$SWITCHED" ] && [ -n "$SIZE2" ] && break
	sleep 0.1
done
[ -n "$SWITCHED" ] || bail "haproxy marks the killed node1 down" "$T/haproxy/haproxy.log"
check "node2 and node3 carry on as the Primary component (size $(wsrep 2 wsrep_cluster_size), $(wsrep 2 wsrep_cluster_status))" \
	[ -n "$SIZE2" ] && [ "$(wsrep 2 wsrep_cluster_status)" = Primary ]
wait_acked "$KILL" "$AFTER" 60
after=$(acked "$KILL")
check "orders keep flowing after the kill ($after acknowledged, now on $(ha_sql -e 'SELECT @@wsrep_node_name'))" \
	[ "$after" -ge "$AFTER" ]
# The outage, from the request log: the first order acknowledged after the
# kill that was asked for after it, requests that failed meanwhile.
read -r first_ok failed_kill < <(awk -v k="$KILL" '
	$2 >= k && $3 == "checkout" && $4 == 201 && $1 >= k && (f == "" || $2 < f) { f = $2 }
	{ all[NR] = $0 }
	END {
		n = 0
		for (i in all) { split(all[i], x, " "); if (x[2] >= k && (f == "" || x[1] <= f) && x[4] != 200 && x[4] != 201) n++ }
		printf "%s %d\n", (f == "" ? -1 : f - k), n
	}' "$LOG")
note "kill -> haproxy marked node1 down $(since "$KILL" "$SWITCHED") s; -> cluster of 2 $(since "$KILL" "${SIZE2:-$EPOCHREALTIME}") s;" \
	"-> first order acknowledged ${first_ok} s; requests failed in between: ${failed_kill}"

# rejoin I: node I, killed, comes back with its data and the cluster's
# writes since, by IST from a donor's gcache (no full copy). Sets
# REJOIN_S (restart to Synced) and HOW (IST (N writesets), SST, unknown).
rejoin() {
	local i=$1 off t pos said k
	off=$(stat -c %s "$T/n$i/mariadb.log")
	t=$EPOCHREALTIME
	# A node killed mid-write does not know which writeset it committed
	# last (grastate.dat says -1): --wsrep-recover reads it from InnoDB,
	# and the node starts from there, so a donor can send it the rest
	# from its gcache (IST) instead of a full copy. (Debian's systemd unit
	# does the same with galera_recovery.)
	mariadbd --defaults-file="$T/n$i/my.cnf" --wsrep-recover </dev/null >>"$T/n$i/stdout.log" 2>&1
	pos=$(tail -c +"$((off + 1))" "$T/n$i/mariadb.log" | sed -n 's/.*WSREP: Recovered position: *//p' | tail -n 1)
	note "node$i's recovered position: ${pos:-none} ($(since "$t") s)"
	start_node "$i" ${pos:+"--wsrep_start_position=$pos"}
	wait_synced "$i" 120 || bail "node$i rejoins" "$T/n$i/mariadb.log"
	REJOIN_S=$(since "$t")
	for ((k = 0; k < 100; k++)); do
		[ "$(wsrep 2 wsrep_cluster_size)" = 3 ] && [ "$(hastatus "node$i")" = UP ] && break
		sleep 0.1
	done
	said=$(tail -c +"$((off + 1))" "$T/n$i/mariadb.log")
	# (The rsync script runs for both; it says which it did.)
	if grep -q "rsync SST completed on joiner" <<<"$said"; then
		HOW=SST
	elif grep -q "IST received" <<<"$said"; then
		HOW="IST ($(sed -n 's/.*Receiving IST: \([0-9]*\) writesets.*/\1/p' <<<"$said" | tail -n 1) writesets)"
	else
		HOW=unknown
	fi
}
t=$EPOCHREALTIME
rejoin 1
BACK=$EPOCHREALTIME
how=$HOW
check "node1 rejoined by $how in ${REJOIN_S} s; wsrep_cluster_size $(wsrep 1 wsrep_cluster_size) again, haproxy: node1 $(hastatus node1)" \
	[ "${how%% *}" = IST ] && [ "$(wsrep 1 wsrep_cluster_size)" = 3 ] && [ "$(hastatus node1)" = UP ]
wait_acked "$BACK" "$AFTER_REJOIN" 60
check "orders flow on node1 again ($(acked "$BACK") acknowledged after it was back, writer $(ha_sql -e 'SELECT @@wsrep_node_name'))" \
	[ "$(acked "$BACK")" -ge "$AFTER_REJOIN" ]
failed_back=$(awk -v a="$t" -v b="$EPOCHREALTIME" '$2 >= a && $1 <= b && $4 != 200 && $4 != 201' "$LOG" | wc -l)
note "node1 restart (recovery included) -> synced ${REJOIN_S} s; requests failed while the writer moved back: ${failed_back}"

if [ "$SCALE" = full ]; then
	# A backup's death: node3, not the writer. The shop's connections are
	# not on it, but the group waits for it to be declared gone before it
	# certifies new writes: a pause, not errors.
	K3=$EPOCHREALTIME
	kill -KILL "$(node_pid 3)"
	V3=""
	for ((k = 0; k < 300; k++)); do
		[ "$(wsrep 1 wsrep_cluster_size)" = 2 ] && { V3=$EPOCHREALTIME; break; }
		sleep 0.1
	done
	wait_acked "$K3" "$AFTER_REJOIN" 60
	# the longest time between two acknowledged orders since the kill
	gap=$(awk -v k="$K3" '$3 == "checkout" && $4 == 201 && $2 >= k { print $2 }' "$LOG" | sort -n |
		awk -v k="$K3" 'BEGIN { p = k } { if ($1 - p > g) g = $1 - p; p = $1 } END { printf "%.1f", g }')
	failed3=$(awk -v a="$K3" '$2 >= a && $4 != 200 && $4 != 201' "$LOG" | wc -l)
	check "node3 (a backup) SIGKILLed: node1 and node2 go on (cluster of 2 after $(since "$K3" "${V3:-$EPOCHREALTIME}") s; $(acked "$K3") orders since, longest pause ${gap} s, $failed3 requests failed)" \
		[ -n "$V3" ] && [ "$(acked "$K3")" -ge "$AFTER_REJOIN" ]
	rejoin 3
	check "node3 rejoined by $HOW in ${REJOIN_S} s; wsrep_cluster_size $(wsrep 1 wsrep_cluster_size) again" \
		[ "${HOW%% *}" = IST ] && [ "$(wsrep 1 wsrep_cluster_size)" = 3 ]

	# The writer cut off from the group, alive (a partition:
	# gmcast.isolate). It leaves the Primary component and answers the
	# shop's statements with 1047 (and a COMMIT with 1180) until haproxy's
	# check sees it and closes its sessions; the shop takes both as a lost
	# connection (reconnects, a 503 at worst, never a 500 "database
	# error").
	P0=$EPOCHREALTIME
	node_sql 1 "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=1'" || notok "isolate node1 (gmcast.isolate)"
	NP="" PD=""
	for ((k = 0; k < 300; k++)); do
		[ -z "$NP" ] && [ "$(wsrep 1 wsrep_cluster_status)" != Primary ] && NP=$EPOCHREALTIME
		[ -z "$PD" ] && [ "$(hastatus node1)" = DOWN ] && PD=$EPOCHREALTIME
		[ -n "$NP" ] && [ -n "$PD" ] && break
		sleep 0.1
	done
	wait_acked "$P0" "$AFTER_REJOIN" 60
	read -r p503 p500 < <(awk -v a="$P0" '$2 >= a { if ($4 == 503) x++; if ($4 == 500) y++ } END { printf "%d %d\n", x, y }' "$LOG")
	check "node1 cut off from the group: non-Primary after $(since "$P0" "${NP:-$EPOCHREALTIME}") s, haproxy moved the shop after $(since "$P0" "${PD:-$EPOCHREALTIME}") s; $(acked "$P0") orders since; requests failed: $p503 with 503, $p500 with 500" \
		[ -n "$NP" ] && [ -n "$PD" ] && [ "$(acked "$P0")" -ge "$AFTER_REJOIN" ] && [ "$p500" = 0 ]
	P1=$EPOCHREALTIME
	node_sql 1 "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=0'"
	wait_synced 1 120
	for ((k = 0; k < 100; k++)); do
		[ "$(wsrep 1 wsrep_cluster_size)" = 3 ] && [ "$(hastatus node1)" = UP ] && break
		sleep 0.1
	done
	check "node1 back in the group $(since "$P1") s after the partition healed (size $(wsrep 1 wsrep_cluster_size), haproxy: node1 $(hastatus node1))" \
		[ "$(wsrep 1 wsrep_cluster_size)" = 3 ] && [ "$(hastatus node1)" = UP ]
fi

# --- two writers at once: certification conflicts ------------------------------
# What the single writer avoids, shown: for CONFLICT_S seconds a second
# writer on node2 (checkout_load raw: the checkout's transaction shape,
# straight on node2's socket) takes units of the same two SKUs while the
# shop goes on writing on node1. Galera certifies each COMMIT against the
# other node's; the loser gets a deadlock error (1213), which db_tx answers
# by running the shop's transaction again. Counters, not logs: node1's
# wsrep_local_cert_failures and wsrep_local_bf_aborts, the shop's orders
# acknowledged meanwhile; the stock checks below cover these units too.
conflicts() { echo $(($(wsrep 1 wsrep_local_cert_failures) + $(wsrep 1 wsrep_local_bf_aborts))); }
sku_ids=$("${SQL[@]}" -e "SELECT GROUP_CONCAT(id ORDER BY id) FROM skus WHERE code IN ($SKU_LIST)")
c0=$(conflicts)
w0=$EPOCHREALTIME
raw=$("$ROOT/build/t/load/checkout_load" raw "$T/n2/mysqld.sock" 2 "$CONFLICT_S" "$sku_ids" 2>"$T/raw.err")
w1=$EPOCHREALTIME
c1=$(conflicts)
in_window=$(awk -v a="$w0" -v b="$w1" '$1 >= a && $2 <= b && $3 == "checkout" && $4 == 201' "$LOG" | wc -l)
failed_window=$(awk -v a="$w0" -v b="$w1" '$1 >= a && $2 <= b && $4 != 200 && $4 != 201' "$LOG" | wc -l)
note "second writer on node2 for ${CONFLICT_S} s: $raw"
note "node1's transactions aborted by certification meanwhile: $((c1 - c0)); the shop's orders acknowledged: $in_window, requests failed: $failed_window"
check "with a second writer the shop's transactions meet certification conflicts ($((c1 - c0))) and are run again: orders still acknowledged ($in_window)" \
	[ "$((c1 - c0))" -gt 0 ] && [ "$in_window" -gt 0 ]

touch "$T/stop"
wait "$LOAD_PID"
LOAD_PID=
# Orders whose payment was still on its way settle first (30 s at most).
for ((k = 0; k < 300; k++)); do
	[ "$("${SQL[@]}" -e "SELECT COUNT(*) FROM checkouts WHERE state IN ('reserved', 'authorizing')")" = 0 ] && break
	sleep 0.1
done

# --- the data -----------------------------------------------------------------

placed=$(acked)
ids=$(awk '$3 == "checkout" && $4 == 201 { print $5 }' "$LOG" | paste -sd, -)
for i in 1 2 3; do
	# wsrep_sync_wait: the node has applied every write the cluster
	# committed before the read (Galera applies others' writes a moment
	# after they commit).
	found[i]=$(node_sql "$i" "SET SESSION wsrep_sync_wait = 1; SELECT COUNT(*) FROM orders WHERE id IN ($ids)
		AND status IN ('confirmed', 'fulfilling', 'shipped', 'delivered')")
	sums[i]=$(node_sql "$i" "SET SESSION wsrep_sync_wait = 1; SELECT CONCAT(COUNT(*), '/', SUM(available), '/',
		SUM(reserved), '/', SUM(committed)) FROM inventory")
done
check "every acknowledged order is in the cluster, on every node ($placed acknowledged; found on node1 ${found[1]}, node2 ${found[2]}, node3 ${found[3]})" \
	[ "${found[1]}" = "$placed" ] && [ "${found[2]}" = "$placed" ] && [ "${found[3]}" = "$placed" ]
bad=$(stock_unconserved --no-defaults -h 127.0.0.1 -P "$HAPORT" --protocol=tcp -u root)
check "0 oversold: stock conserved for every SKU and warehouse, no shelf below 0${bad:+: $bad}" [ -z "$bad" ]
check "the three nodes hold the same inventory (rows/available/held/sold: ${sums[1]} | ${sums[2]} | ${sums[3]})" \
	[ -n "${sums[1]}" ] && [ "${sums[1]}" = "${sums[2]}" ] && [ "${sums[2]}" = "${sums[3]}" ]
all=$(wc -l <"$LOG")
failed=$(awk '$4 != 200 && $4 != 201' "$LOG" | wc -l)
note "in all: $placed orders acknowledged, $all requests, $failed failed ($(awk '$4 != 200 && $4 != 201 { c[$3 " " $4]++ } END { for (x in c) printf "%s: %d  ", x, c[x] }' "$LOG"))"
note "load: $(cat "$T/load.out")"
[ -s "$T/load.err" ] && grep -v '^$' "$T/load.err" | sed 's/^/# load: /'
note "scenario took $(since "$T0") s (cluster ${BOOT_S}+${JOIN_S} s, stack ${STACK_S} s)"
echo "1..$N"
[ "$FAILS" = 0 ]
