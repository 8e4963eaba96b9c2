#!/usr/bin/env bash
# Scale scenario 50 (issue 20, docs/scaling.md "Search"): the product index
# in 2 parts x 2 mirrors, four searchd agents and the stack's searchd as the
# head (distributed indexes), on a stack of its own (scripts/stack with
# SHOP_SEARCH_AGENTS=2x2) in a temp dir on free ports.
#
# Proven with counts (SQL, SphinxQL on each node, the shop's JSON answers,
# searchd's own counters), not logs:
#   - every agent holds exactly its part (id % 2) of the active products,
#     and both mirrors of a part hold the same;
#   - the shop's answers are complete: a match-all listing finds every
#     active product, and each search's total is the sum of what the two
#     parts find on their own nodes;
#   - agent 1 (part 0, mirror 0) SIGKILLed, watchdog and all: every search
#     afterwards answers the same totals, never degraded; the head's
#     SHOW AGENT STATUS counts the dead agent's connect failures and part
#     0's other mirror answered the queries (its own SHOW STATUS);
#   - writes while it is down: an indexed change (an outbox event) goes
#     through (the indexer is not held up by the dead mirror), a change
#     without an event (an archived product) is repaired by the reconciler;
#     both reach the live mirror;
#   - the agent restarted: the reconciler catches it up (same documents as
#     its mirror and MariaDB, the new price, the archived product gone),
#     and searches are complete again.
# SCALE=short (make test): 6 rounds of the searches after the kill;
# SCALE=full (make test-scale): 60 rounds, and part 1's mirror 1 is killed
# and restarted as well.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SCALE=${SCALE:-short}
if [ "$SCALE" = full ]; then ROUNDS=60 KILLS="1 4"; else ROUNDS=6 KILLS="1"; fi

. "$ROOT/t/scale/lib.bash"

# Nothing of the stack run-tests gave the runner: this scenario's own.
unset SHOP_SOCKET SHOP_DB_SOCKET SHOP_REDIS_SOCKET SHOP_SECRET SHOP_SECRET_FILE SHOP_BASE_URL \
	SHOP_DB_HOST SHOP_DB_PORT SHOP_REDIS_HOST SHOP_REDIS_PORT SHOP_PAYGATE_PORT SHOP_SEARCH_PORT \
	SHOP_SEARCH_HOST SHOP_SEARCH_NODES SHOP_APP_HOSTS SHOP_JOBS_HOSTS SHOP_REDIS_SENTINELS SHOP_REDIS_MASTER \
	SHOP_DB_REPLICAS SHOP_DB_REPLICA_MAX_LAG \
	SHOP_PAYGATE_URL SHOP_TEST_BASE SHOP_LISTEN SHOP_HOST_ID SHOP_JOBS SHOP_BIN SHOP_MEDIA_DIR \
	SHOP_CARRIER_SECRET_FILE SHOP_PAYGATE_KEY_FILE SHOP_PAYGATE_WEBHOOK_SECRET_FILE
H=$(mktemp -d "${TMPDIR:-/tmp}/shop-scale50.XXXXXX")
export SHOP_ROOT=$ROOT SHOP_HOME=$H SHOP_PORT=$("$ROOT/scripts/freeport")
export SHOP_SEARCH_AGENTS=2x2 SHOP_WORKERS=2
BASE=http://127.0.0.1:$SHOP_PORT

cleanup() {
	if [ "$FAILS" -gt 0 ] || [ -n "${SCALE_KEEP_LOGS:-}" ]; then
		mkdir -p "$ROOT/build/test-logs/scale-50-search"
		cp -r "$H/log/." "$ROOT/build/test-logs/scale-50-search/" 2>/dev/null
		echo "# logs kept in build/test-logs/scale-50-search"
	fi
	"$ROOT/scripts/stack" stop >/dev/null 2>&1 || echo "# stack stop failed"
	rm -rf "$H"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

q() { mariadb --defaults-file="$H/my.cnf" -N -B shop -e "$1"; }
# sx PORT STATEMENT: SphinxQL on 127.0.0.1:PORT, tab-separated rows.
sx() { mariadb -h127.0.0.1 -P"$1" --protocol=tcp -N -B -e "$2" 2>/dev/null; }
ql() { cut -d' ' -f1 "$H/run/search-node$1/ports"; }	# agent K's SphinxQL port
api() { cut -d' ' -f2 "$H/run/search-node$1/ports"; }	# agent K's API port
part_of() { echo $((($1 - 1) / 2)); }			# agent K's part
mirror_of() { local k=$1; [ $(((k - 1) % 2)) -eq 0 ] && echo $((k + 1)) || echo $((k - 1)); }

t0=$SECONDS
if ! "$ROOT/scripts/stack" start >"$H/stack-start.log" 2>&1; then
	notok "the stack with a 2x2 search cluster starts"
	sed 's/^/# /' "$H/stack-start.log" | tail -n 30
	exit 1
fi
ok "the stack with a 2x2 search cluster (4 agents, a head) starts ($((SECONDS - t0)) s)"
HEAD=$(cat "$H/run/search.port")
IDX=$(sx "$HEAD" "SELECT active FROM search_meta WHERE id = 1")
[ "$IDX" = 1 ] && IDX=products_b || IDX=products_a
note "head 127.0.0.1:$HEAD, active copy $IDX, SHOP_SEARCH_NODES as the stack gives it:" \
	"$(for k in 1 2 3 4; do printf '%s ' "$(ql $k)"; done)"

# --- every agent holds its part ---------------------------------------------
# parts_ok: each agent holds what MariaDB has active in its part, by count
# and by a checksum of (id, price).
parts_ok() {
	local k p want got
	for k in 1 2 3 4; do
		p=$(part_of $k)
		want=$(q "SELECT COUNT(*), COALESCE(SUM(id * 7 + price), 0) FROM products WHERE status = 'active' AND id % 2 = $p" | tr '\t' ' ')
		got=$(sx "$(ql $k)" "SELECT COUNT(*) AS n, SUM(id * 7 + price) AS s FROM $IDX" | tr '\t' ' ')
		[ "$got" = "$want" ] || { note "agent $k (part $p): $got, MariaDB: $want"; return 1; }
	done
}
check "each agent holds exactly its part of the active products (count and a checksum of id, price)" parts_ok
ACTIVE=$(q "SELECT COUNT(*) FROM products WHERE status = 'active'")

# --- the shop's answers -------------------------------------------------------
# Searches (query strings of /api/items): words without synonyms
# (data/search/synonyms.txt), so that SphinxQL on a node counts what the
# shop's search counts; "" is the listing; then filters, among them price
# bounds off the facet's range edges (facets counted one query per filter).
TERMS=(term=pro term=black term=laptop term=watch term=case term=shirt term=wireless term=iphone ""
	"term=black&minPrice=1000&maxPrice=90000" "category=smartphones&brand=Apple" "inStock=1&minRating=4")
# totals SEARCH...: "SEARCH -> total indexed|degraded items facet-sums" per
# search, from /api/items (100 a page; the sums of the brand, price,
# category and rating facets' counts, and the in-stock count).
totals() {
	python3 - "$BASE" "$@" <<'EOF'
import json, sys, urllib.request, urllib.parse
base = sys.argv[1]
for t in sys.argv[2:]:
    url = base + "/api/items?size=100" + ("&" + t if t else "")
    # A session cookie: past nginx's microcache, so every answer is shopd's.
    req = urllib.request.Request(url, headers={"Cookie": "sid=scale50"})
    try:
        d = json.load(urllib.request.urlopen(req, timeout=10))
        f = d["facets"]
        print("%s -> %d %s %d %s" % (t, d["total"], "degraded" if d.get("degraded") else "indexed",
                                len(d["items"]), "/".join(str(sum(x["count"] for x in f[k])) for k in ("brand", "price", "category", "rating"))
                                + "/%d" % f["inStock"]))
    except Exception as e:
        print("%s -> error %s" % (t, e))
EOF
}
mapfile -t BASELINE < <(totals "${TERMS[@]}")
note "baseline: ${BASELINE[*]}"
# The one-node answer: a search's total is what its words find on part 0's
# node plus part 1's (counted there directly).
sums_ok() {
	local t line n0 n1 tot
	for line in "${BASELINE[@]}"; do
		t=${line%% -> *}
		tot=${line#* -> }
		tot=${tot%% *}
		if [ -z "$t" ]; then
			[ "$tot" = "$ACTIVE" ] || { note "listing: $tot, active in MariaDB: $ACTIVE"; return 1; }
			continue
		fi
		[[ $t =~ ^term=[a-z]+$ ]] || continue
		t=${t#term=}
		n0=$(sx "$(ql 1)" "SELECT COUNT(*) FROM $IDX WHERE MATCH('$t')")
		n1=$(sx "$(ql 3)" "SELECT COUNT(*) FROM $IDX WHERE MATCH('$t')")
		[ "$tot" = $((n0 + n1)) ] || { note "$t: shop $tot, parts $n0 + $n1"; return 1; }
		[ "$tot" -gt 0 ] || { note "$t finds nothing: pick another word"; return 1; }
	done
}
check "complete answers: the listing finds all $ACTIVE active products, each search the sum of its parts' counts" sums_ok
check "no answer degraded before the kill" bash -c '! printf "%s\n" "$@" | grep -qv " indexed "' _ "${BASELINE[@]}"

# same_rounds N: N rounds of the searches; prints how many answers differed
# from the baseline (total, degraded, page length, brand facet sum). Each
# round first moves the index generation, so the facets are counted by
# searchd, not taken from Redis's facet cache.
same_rounds() {
	local i bad=0 got=()
	for ((i = 0; i < $1; i++)); do
		redis-cli -s "$H/run/redis.sock" INCR search:gen >/dev/null
		mapfile -t -O ${#got[@]} got < <(totals "${TERMS[@]}")
	done
	for ((i = 0; i < ${#got[@]}; i++)); do
		[ "${got[i]}" = "${BASELINE[i % ${#TERMS[@]}]}" ] || { bad=$((bad + 1)); [ $bad -le 3 ] && note "differs: ${got[i]} (was ${BASELINE[i % ${#TERMS[@]}]})"; }
	done
	echo "$bad"
}

# agent_stat K FIELD: the head's SHOW AGENT STATUS value for agent K's mirror.
agent_stat() {
	sx "$HEAD" "SHOW AGENT STATUS" | awk -v host="127.0.0.1:$(api "$1")" -v f="$2" '
		$1 ~ /_hostname$/ { ag = ($2 == host) ? substr($1, 1, length($1) - 8) : "" }
		ag != "" && $1 == ag "1periods_" f { print $2; exit }'
}
node_queries() { sx "$(ql "$1")" "SHOW STATUS LIKE 'queries'" | cut -f2; }

for K in $KILLS; do
	P=$(part_of "$K")
	M=$(mirror_of "$K")
	# --- kill agent K (its watchdog first, so nothing restarts it) ------
	pid=$(cat "$H/run/search-node$K/searchd.pid")
	wd=$(ps -o ppid= -p "$pid" | tr -d ' ')
	before=$(node_queries "$M")
	# The searches run from before the kill to well after it: some are
	# in flight when the agent dies.
	t1=$(date +%s.%N)
	same_rounds "$ROUNDS" >"$H/rounds-$K" &
	bg=$!
	sleep 0.5
	[ -n "$wd" ] && [ "$wd" != 1 ] && [ "$(ps -o comm= -p "$wd")" = searchd ] && kill -KILL "$wd"
	kill -KILL "$pid"
	# Gone, or a zombie nobody reaps yet (its parent, the watchdog, is
	# dead; whoever adopts it may take a while to reap).
	gone() { ! kill -0 "$1" 2>/dev/null || [[ $(ps -o stat= -p "$1" 2>/dev/null) == Z* ]]; }
	for ((i = 0; i < 50; i++)); do gone "$pid" && break; sleep 0.02; done
	check "agent $K (part $P) is gone after SIGKILL (worker and watchdog)" gone "$pid"
	wait "$bg"
	t2=$(date +%s.%N)
	grep '^#' "$H/rounds-$K"
	bad=$(tail -n 1 "$H/rounds-$K")
	n=$((ROUNDS * ${#TERMS[@]}))
	check "agent $K killed mid-traffic: all $n searches answered complete, as before ($bad differed; $(printf '%.1f' "$(echo "$t2 - $t1" | bc)") s)" [ "$bad" = 0 ]
	fails=$(agent_stat "$K" connect_failures)
	after=$(node_queries "$M")
	note "head's SHOW AGENT STATUS: agent $K connect failures $fails; agent $M (its mirror) queries $before -> $after"
	check "searchd's counters: the head counted agent $K's connect failures (${fails:-none}) and agent $M answered part $P (${before} -> ${after} queries, >= $n)" \
		bash -c "[ '${fails:-0}' -gt 0 ] && [ $((after - before)) -ge $n ]"

	# --- writes while it is down ------------------------------------------
	A=$(q "SELECT id FROM products WHERE status = 'active' AND id % 2 = $P ORDER BY id LIMIT 1")
	B=$(q "SELECT id FROM products WHERE status = 'active' AND id % 2 = $P ORDER BY id DESC LIMIT 1")
	q "UPDATE products SET price = price + 101 WHERE id = $A;
	   INSERT INTO outbox (topic, aggregate_id, payload) VALUES ('ProductUpdated', $A, '{}');
	   UPDATE products SET status = 'archived' WHERE id = $B"
	NEWPRICE=$(q "SELECT price FROM products WHERE id = $A")
	OUTBOX=$(q "SELECT MAX(id) FROM outbox")
	live_ok() {
		[ "$(sx "$(ql "$M")" "SELECT price FROM $IDX WHERE id = $A")" = "$NEWPRICE" ] &&
			[ -z "$(sx "$(ql "$M")" "SELECT id FROM $IDX WHERE id = $B")" ]
	}
	indexer_ok() {
		local seq pos
		seq=$(q "SELECT seq FROM outbox WHERE id = $OUTBOX")
		pos=$(q "SELECT position FROM event_consumers WHERE name = 'search-index'")
		[ -n "$seq" ] && [ "$seq" != NULL ] && [ "$pos" -ge "$seq" ]
	}
	w0=$SECONDS
	for ((i = 0; i < 100; i++)); do live_ok && indexer_ok && break; sleep 0.1; done
	check "writes while agent $K is down reach its mirror (price of $A by the indexer, archived $B by the reconciler; $((SECONDS - w0)) s)" live_ok
	check "the indexer passed the event (not held up by the dead mirror)" indexer_ok

	# --- restart: the reconciler catches it up ----------------------------
	r0=$(date +%s.%N)
	if ! "$ROOT/scripts/stack" start-search >"$H/restart-$K.log" 2>&1; then
		notok "agent $K restarts"
		sed 's/^/# /' "$H/restart-$K.log" | tail -n 20
		continue
	fi
	ok "agent $K restarts on its ports ($(ql "$K") / $(api "$K"))"
	caught_ok() {
		[ "$(sx "$(ql "$K")" "SELECT price FROM $IDX WHERE id = $A")" = "$NEWPRICE" ] &&
			[ -z "$(sx "$(ql "$K")" "SELECT id FROM $IDX WHERE id = $B")" ] && parts_ok >/dev/null
	}
	for ((i = 0; i < 200; i++)); do caught_ok && break; sleep 0.1; done
	r1=$(date +%s.%N)
	check "agent $K caught up by the reconciler ($(printf '%.1f' "$(echo "$r1 - $r0" | bc)") s after its restart): its part as in MariaDB and on its mirror" caught_ok
	ACTIVE=$(q "SELECT COUNT(*) FROM products WHERE status = 'active'")
	mapfile -t BASELINE < <(totals "${TERMS[@]}")
	check "after the restart, answers complete again" sums_ok
	sleep 0.3	# the head's ping (ha_ping_interval 100 ms) sees the agent alive
	bad=$(same_rounds 2)
	check "after the restart, repeated searches answer the same ($bad differed)" [ "$bad" = 0 ]
done
# --- a whole part down: no incomplete answer, MariaDB answers ---------------
for K in 3 4; do
	pid=$(cat "$H/run/search-node$K/searchd.pid")
	wd=$(ps -o ppid= -p "$pid" | tr -d ' ')
	[ -n "$wd" ] && [ "$wd" != 1 ] && [ "$(ps -o comm= -p "$wd")" = searchd ] && kill -KILL "$wd"
	kill -KILL "$pid"
done
sleep 0.3
mapfile -t got < <(totals "${TERMS[@]}")
check "both mirrors of part 1 dead: every search answers from MariaDB, marked degraded (never an index answer without the part)" \
	bash -c '! printf "%s\n" "$@" | grep -qv " degraded "' _ "${got[@]}"
"$ROOT/scripts/stack" start-search >"$H/restart-part1.log" 2>&1
for ((i = 0; i < 100; i++)); do parts_ok >/dev/null && break; sleep 0.1; done
sleep 0.3
bad=$(same_rounds 1)
check "part 1's agents restarted: answers from the index again, as before ($bad differed)" [ "$bad" = 0 ]
note "shopd asked the head again $(cat "$H"/log/shopd*.log 2>/dev/null | grep -c 'lacked a part') times for an answer that lacked a part (a just-killed agent, or both of part 1)"
note "total $((SECONDS - t0)) s"
[ "$FAILS" -eq 0 ]
