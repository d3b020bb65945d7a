-- One cluster looping on the API at full speed, ignoring 429s: allocate, list and release, over
-- and over, on every connection wrk opens. Run by noisy_neighbour.py:
--   FLOOD_TOKEN=... FLOOD_CLUSTER=alpha FLOOD_POOL=alpha wrk -t2 -c16 -d20s -s flood.lua URL
-- Each thread keeps the ids of the leases it allocated and releases them; done() prints one
-- line, "FLOOD {json}", with the answers counted by status.

local token = os.getenv("FLOOD_TOKEN")
local cluster = os.getenv("FLOOD_CLUSTER")
local pool = os.getenv("FLOOD_POOL")
local threads = {}

function setup(thread)
    thread:set("prefix", tostring(#threads + 1))
    table.insert(threads, thread)
end

local counter = 0
local leases = {}
statuses = {}

function request()
    counter = counter + 1
    local auth = { ["Authorization"] = "Bearer " .. token }
    if #leases > 0 and counter % 2 == 0 then
        return wrk.format("POST", "/v1/leases/" .. table.remove(leases) .. "/release", auth)
    elseif counter % 3 == 0 then
        return wrk.format("GET", "/v1/leases?pageSize=100", auth)
    end
    local pod = string.format("flood-%s-%d", prefix, counter)
    local body = string.format(
        '{"cluster":"%s","namespace":"flood","pod":"%s","podUid":"%s","pool":"%s","releaseStrategy":"Follow"}',
        cluster, pod, pod, pool)
    return wrk.format("POST", "/v1/leases", { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
    local key = tostring(status)
    statuses[key] = (statuses[key] or 0) + 1
    -- An allocate's answer (a lease still being set up); list answers carry "items".
    if status == 201 and not string.find(body, '"items"', 1, true) then
        local id = string.match(body, '"id"%s*:%s*"([^"]+)"')
        if id then table.insert(leases, id) end
    end
end

function done(summary, latency, requests)
    local total = {}
    for _, thread in ipairs(threads) do
        for key, count in pairs(thread:get("statuses")) do total[key] = (total[key] or 0) + count end
    end
    local parts = {}
    for key, count in pairs(total) do table.insert(parts, string.format('"%s": %d', key, count)) end
    io.write(string.format('FLOOD {"requests": %d, "seconds": %.3f, "errors": %d, "statuses": {%s}}\n',
        summary.requests, summary.duration / 1e6,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
        table.concat(parts, ", ")))
end
