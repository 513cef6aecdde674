-- wrk script of bench/directory.sh: rotates over the directory benchmark's queries.
--
-- Usage: wrk -s bench/directory.lua URL -- QUERIES_FILE PATH
--   QUERIES_FILE: one query string a line (`essor-bench-directory queries` writes them);
--   PATH: the route they are sent to, /api/v1/acteurs (essor) or /bench/fts5 (the baseline).
-- Each wrk thread walks the list from its own starting point, one query per request.

local queries = {}
local path = "/api/v1/acteurs"
local position = 0
local threads = 0

-- Runs in wrk's main state, once per thread: gives each thread its own starting point.
function setup(thread)
    thread:set("start", threads * 7)
    threads = threads + 1
end

function init(args)
    local file = assert(io.open(args[1], "r"), "no query file: " .. tostring(args[1]))
    for line in file:lines() do
        if line ~= "" then
            queries[#queries + 1] = line
        end
    end
    file:close()
    assert(#queries > 0, "the query file is empty")
    if args[2] then
        path = args[2]
    end
    -- Threads start apart so that they do not send the same query at the same time.
    position = (start or 0) % #queries
end

function request()
    position = position % #queries + 1
    return wrk.format("GET", path .. "?" .. queries[position])
end
