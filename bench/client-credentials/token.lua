-- wrk script: POST a client credentials token request with HTTP Basic client authentication.
-- Environment (set by ./run): BENCH_BASIC (base64 of form-urlencoded "id:secret"),
-- BENCH_BODY (the form body).
local basic = os.getenv("BENCH_BASIC")
local body = os.getenv("BENCH_BODY")
if basic == nil or body == nil then
  error("BENCH_BASIC and BENCH_BODY must be set")
end

wrk.method = "POST"
wrk.body = body
wrk.headers["Authorization"] = "Basic " .. basic
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"

-- One machine-readable line for ./run (times in microseconds). errors.status counts
-- responses with a status >= 400.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
