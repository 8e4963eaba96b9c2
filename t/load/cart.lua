-- wrk script: PATCH /api/cart ("add to cart") as many shoppers.
-- CART_SHOPPERS names a file of lines "sid-cookie csrf-token", one per
-- shopper (scripts/bench makes it); requests take the shoppers in turn and
-- set one of a few demo SKUs to a quantity from 1 to 5, so every request is
-- a real change of a real cart.
local shoppers = {}
local skus = { "BEA-ESS-ESS-001", "BEA-VEL-POW-003", "BEA-CHI-LIP-004", "BEA-NAI-NAI-005" }
local n = 0

function init(args)
	local f = assert(io.open(os.getenv("CART_SHOPPERS"), "r"))
	for line in f:lines() do
		local cookie, token = line:match("^(%S+) (%S+)$")
		if cookie then shoppers[#shoppers + 1] = { cookie = cookie, token = token } end
	end
	f:close()
	n = math.random(1000)
end

function request()
	n = n + 1
	local s = shoppers[n % #shoppers + 1]
	local body = string.format('{"itemId":"%s","quantity":%d}', skus[n % #skus + 1], n % 5 + 1)
	return wrk.format("PATCH", "/api/cart", {
		["Cookie"] = "sid=" .. s.cookie,
		["X-CSRF-Token"] = s.token,
		["Content-Type"] = "application/json",
		["Accept"] = "application/json",
	}, body)
end

-- The percentiles wrk's report lacks (p95), for scripts/bench.
function done(summary, latency, requests)
	io.write(string.format("PERCENTILES p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f\n",
		latency:percentile(50) / 1000, latency:percentile(95) / 1000,
		latency:percentile(99) / 1000))
end
