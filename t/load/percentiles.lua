-- wrk script: nothing but the latency percentiles wrk's report lacks (p95),
-- for scripts/bench runs without a script of their own.
function done(summary, latency, requests)
	io.write(string.format("PERCENTILES p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f\n",
		latency:percentile(50) / 1000, latency:percentile(95) / 1000,
		latency:percentile(99) / 1000))
end
