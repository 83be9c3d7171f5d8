-- serve.lua -- wrk script for bench/serve.sh: POSTs realistic AdmissionReview
-- requests (a Pod to /validate/restricted, a Deployment to
-- /validate/baseline?mode=warn, alternately) over kept-alive TLS connections.
-- KH_RATE_DELAY_MS > 0 makes each connection wait that long between requests
-- (plain wrk has no rate option: connections x 1000/delay = the offered rate).
-- With KH_RATE_POISSON=1 the wait is drawn from an exponential distribution
-- of that mean, so arrivals are Poisson, as independent clients make them;
-- a fixed wait keeps the connections in lockstep (all of them send within
-- the same fraction of a millisecond, then all wait), which measures a
-- burst of N at once rather than a rate.
-- No response() callback: defining one makes wrk hand every response to
-- Lua, which costs the client CPU it shares with the server; wrk counts
-- statuses above 399 itself (summary.errors.status).
-- done() prints the percentiles wrk --latency leaves out.
local dir = os.getenv("KH_REVIEWS") or "."
local function slurp(name)
    local f = assert(io.open(dir .. "/" .. name, "rb"))
    local s = f:read("*a"); f:close(); return s
end
local reqs
local n = 0
local pause = tonumber(os.getenv("KH_RATE_DELAY_MS") or "0")

function init(args)
    local h = {["Content-Type"] = "application/json"}
    reqs = {
        wrk.format("POST", "/validate/restricted?version=v1.30", h, slurp("pod.json")),
        wrk.format("POST", "/validate/baseline?mode=warn", h, slurp("deployment.json")),
    }
end

function request()
    n = n + 1
    return reqs[n % 2 + 1]
end

if pause > 0 and os.getenv("KH_RATE_POISSON") == "1" then
    -- wrk takes whole milliseconds: rounding keeps the mean
    function delay() return math.floor(-math.log(1 - math.random()) * pause + 0.5) end
elseif pause > 0 then
    function delay() return pause end
end

function done(summary, latency, requests)
    io.write(string.format("p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms\n",
        latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        latency:percentile(99.9) / 1000, latency.max / 1000))
    io.write(string.format("requests %d, non-2xx %d, socket errors %d\n", summary.requests,
        summary.errors.status, summary.errors.connect + summary.errors.read +
        summary.errors.write + summary.errors.timeout))
end
