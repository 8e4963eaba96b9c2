-- wrk script: a shopper's order pages (the order archive's scenario in
-- scripts/bench). ORDERS_PATHS names a file of "sid path" lines, taken in
-- turn: each request is that shopper's own page (their session cookie), so
-- nginx's microcache is bypassed and shopd reads the orders.
-- ORDERS_ACCEPT: the Accept header (default text/html).
local lines = {}
local n = 0
local accept = os.getenv("ORDERS_ACCEPT") or "text/html"

function init(args)
	local f = assert(io.open(os.getenv("ORDERS_PATHS"), "r"))
	for line in f:lines() do
		local sid, path = line:match("^(%S+) (%S+)$")
		if sid then lines[#lines + 1] = { sid, path } end
	end
	f:close()
	n = math.random(#lines)
end

function request()
	n = n + 1
	local l = lines[n % #lines + 1]
	return wrk.format("GET", l[2], { ["Cookie"] = "sid=" .. l[1], ["Accept"] = accept })
end

function done(summary, latency, requests)
	io.write(string.format("PERCENTILES p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f\n",
		latency:percentile(50) / 1000, latency:percentile(95) / 1000,
		latency:percentile(99) / 1000))
end
