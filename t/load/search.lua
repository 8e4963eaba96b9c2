-- wrk script: GET a list of search URLs in turn, and print the latency
-- percentiles wrk's own report lacks (p95).
-- SEARCH_PATHS names a file of paths, one a line (scripts/bench writes
-- them: a class of queries such as "broad" or "autocomplete"). Each
-- connection starts at its own place in the list, so the clients do not
-- ask for the same thing at the same moment. The session cookie makes
-- nginx bypass its microcache: every answer is computed by shopd and
-- searchd.
local paths = {}
local n = 0

function init(args)
	local f = assert(io.open(os.getenv("SEARCH_PATHS"), "r"))
	for line in f:lines() do
		if line ~= "" then paths[#paths + 1] = line end
	end
	f:close()
	n = math.random(#paths)
end

function request()
	n = n + 1
	return wrk.format("GET", paths[n % #paths + 1], {
		["Cookie"] = "sid=bench",
	})
end

function done(summary, latency, requests)
	-- Microseconds in wrk's histogram; milliseconds here.
	io.write(string.format("PERCENTILES p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f\n",
		latency:percentile(50) / 1000, latency:percentile(95) / 1000,
		latency:percentile(99) / 1000))
end
