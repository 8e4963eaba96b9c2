-- wrk script: the recommendations' lookups (app/recs). RECS_PATHS names a
-- file of paths, one a line, taken in turn; RECS_SHOPPERS (optional) a file
-- of "sid-cookie csrf-token" lines (scripts/bench's make_shoppers), whose
-- sessions are taken in turn, so /api/recommendations is each shopper's
-- own list. Without shoppers every request carries an unknown session
-- cookie, so nginx bypasses its microcache and shopd computes each answer.
local paths, shoppers = {}, {}
local n = 0

function init(args)
	local f = assert(io.open(os.getenv("RECS_PATHS"), "r"))
	for line in f:lines() do
		if line ~= "" then paths[#paths + 1] = line end
	end
	f:close()
	local s = os.getenv("RECS_SHOPPERS")
	if s and s ~= "" then
		f = assert(io.open(s, "r"))
		for line in f:lines() do
			local cookie = line:match("^(%S+) ")
			if cookie then shoppers[#shoppers + 1] = cookie end
		end
		f:close()
	end
	n = math.random(1000)
end

function request()
	n = n + 1
	local cookie = "bench"
	if #shoppers > 0 then cookie = shoppers[n % #shoppers + 1] end
	return wrk.format("GET", paths[n % #paths + 1], {
		["Cookie"] = "sid=" .. cookie,
		["Accept"] = "application/json",
	})
end

function done(summary, latency, requests)
	io.write(string.format("PERCENTILES p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f\n",
		latency:percentile(50) / 1000, latency:percentile(95) / 1000,
		latency:percentile(99) / 1000))
end
