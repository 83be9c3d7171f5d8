-- serve.lua -- wrk script for bench/serve.sh: POSTs realistic AdmissionReview
-- requests (a Pod to /validate/restricted, a Deployment to
-- /validate/baseline?mode=warn, alternately) over kept-alive TLS connections.
-- KH_RATE_DELAY_MS > 0 makes each connection wait that long between requests
-- (plain wrk has no rate option: connections x 1000/delay = the offered rate).
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

if pause > 0 then
    function delay() return pause end
end

local statuses = {}
function response(status, headers, body)
    if status ~= 200 then statuses[status] = (statuses[status] or 0) + 1 end
end

function done(summary, latency, requests)
    io.write(string.format("p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms\n",
        latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        latency:percentile(99.9) / 1000, latency.max / 1000))
    io.write(string.format("requests %d, non-2xx %d, socket errors %d\n", summary.requests,
        summary.errors.status, summary.errors.connect + summary.errors.read +
        summary.errors.write + summary.errors.timeout))
end
