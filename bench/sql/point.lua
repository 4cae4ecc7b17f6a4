-- bench/sql/point.lua — wrk script for the SQL benchmark: every request is a stateless JSON-RPC `tools/call` of a
-- point-query tool with a random customer id, POSTed to the URL (HTTP/1.1 keep-alive), and every response is checked
-- against the row that id must return.
--
--   wrk -t2 -c64 -d10s -s bench/sql/point.lua http://127.0.0.1:PORT/mcp -- tool=<name> [rows=10000]
--
--   tool=  the tool to call (required): get_customer_sqlite or get_customer_pg
--   rows=  ids are drawn uniformly from 1..rows (default 10000: the seeded table)
--
-- Headers on every request: Content-Type: application/json, Accept: application/json, text/event-stream,
-- MCP-Protocol-Version: 2025-06-18. No session: both servers are stateless, so each POST stands alone.
-- The JSON-RPC id is a string "c<customer id>-<n>": a wrk response callback does not say which request it answers,
-- but the reply echoes the id, so the check knows which row to expect. A response is "bad" unless its status is
-- 200, it carries structuredContent with "id":<customer id> and "email":"customer<customer id>@example.com" (as
-- seeded by bench/sql/run), and it is not an error. done() prints one line: BENCHJSON {...} with wrk's figures and
-- these counts.

local threads = {}
local nthreads = 0

function setup(thread)
  if nthreads >= 16 then error("point.lua: at most 16 threads") end
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
  threads[#threads + 1] = thread
end

-- per-thread state (each wrk thread has its own Lua state)
tid, n = 0, 0
responses, bad, non2xx = 0, 0, 0
sample = ""
local rows, prefix, middle, suffix

function init(args)
  local tool
  rows = 10000
  for _, a in ipairs(args) do
    local k, v = a:match("^(%w+)=(.*)$")
    if k == "tool" then tool = v
    elseif k == "rows" then rows = tonumber(v) or 0
    end
  end
  if not tool or not tool:match("^[%w_.-]+$") then error("point.lua: need tool=<tool name>") end
  if rows < 1 then error("point.lua: rows= must be a positive number") end
  math.randomseed(os.time() * 16 + tid)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json, text/event-stream"
  wrk.headers["MCP-Protocol-Version"] = "2025-06-18"
  prefix = '{"jsonrpc":"2.0","id":"c'
  middle = '","method":"tools/call","params":{"name":"' .. tool .. '","arguments":{"id":'
  suffix = '}}}'
  n = 0
end

function request()
  n = n + 1
  local id = math.random(1, rows)
  return wrk.format(nil, nil, nil, prefix .. id .. "-" .. (n * 16 + tid) .. middle .. id .. suffix)
end

local function good(status, body)
  if status ~= 200 or not body then return false end
  local id = body:match('"id":"c(%d+)%-')
  if not id then return false end
  if not body:find('"email":"customer' .. id .. '@example.com"', 1, true) then return false end
  if not (body:find('"id":' .. id .. ',', 1, true) or body:find('"id":' .. id .. '}', 1, true)) then return false end
  return not body:find('"isError":true', 1, true)
end

function response(status, headers, body)
  responses = responses + 1
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
  if not good(status, body) then
    bad = bad + 1
    if sample == "" then sample = tostring(status) .. " " .. (body or ""):sub(1, 300) end
  end
end

local function jstr(s)
  s = s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end)
  return '"' .. s .. '"'
end

function done(summary, latency, requests)
  local tb, tn, tr, first = 0, 0, 0, ""
  for _, t in ipairs(threads) do
    tb = tb + (t:get("bad") or 0)
    tn = tn + (t:get("non2xx") or 0)
    tr = tr + (t:get("responses") or 0)
    local s = t:get("sample") or ""
    if first == "" then first = s end
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    'BENCHJSON {"requests":%d,"responses_checked":%d,"duration_s":%.3f,"rps":%.1f,"bytes":%d,' ..
    '"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f,' ..
    '"bad":%d,"non2xx":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"first_bad":%s}\n',
    summary.requests, tr, secs, secs > 0 and summary.requests / secs or 0, summary.bytes,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000,
    tb, tn, e.connect, e.read, e.write, e.status, e.timeout, jstr(first)))
end
