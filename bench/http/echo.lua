-- bench/http/echo.lua — wrk script for the HTTP benchmark: every request is a JSON-RPC `tools/call` of `echo`
-- POSTed to the URL (HTTP/1.1 keep-alive), and every response is checked.
--
--   wrk -t1 -c64 -d10s -s bench/http/echo.lua http://127.0.0.1:PORT/mcp -- text=<text> [era=modern]
--       [session=<id>] [limit=<n>]
--
--   text=     the echoed text (required; no '"' or '\': it is put in the JSON as is)
--   era=      legacy (default): a 2025-06-18 call; modern: a stateless 2026-07-28 call (below)
--   session=  an Mcp-Session-Id to send (stateful legacy servers; the session must already be initialized)
--   limit=    stop each thread after this many responses (the run is still bounded by -d: wrk sleeps out its
--             whole -d unless it gets SIGINT)
--   announce=1  with limit=: write "LIMIT <thread>" on stderr when a thread stops, so the caller can SIGINT wrk
--
-- Headers on every request: Content-Type: application/json, Accept: application/json, text/event-stream and
--   legacy: MCP-Protocol-Version: 2025-06-18 (+ Mcp-Session-Id)
--   modern: MCP-Protocol-Version: 2026-07-28, Mcp-Method: tools/call, Mcp-Name: echo, and params._meta carries
--           io.modelcontextprotocol/protocolVersion "2026-07-28", clientCapabilities {} and clientInfo wrk/1
--           (the per-request envelope that replaces initialize)
-- Ids are unique across threads (n * 16 + thread, so at most 16 wrk threads).
-- A response is "bad" if its status is not 200 or its body does not contain "text":"<text>" (it may be JSON or an
-- SSE event carrying the JSON); in the modern era also if it lacks "resultType":"complete" (a 2026-07-28 result
-- always says whether it is complete or input_required). done() prints one line: BENCHJSON {...} with wrk's figures
-- and these counts.

local threads = {}
local nthreads = 0

function setup(thread)
  if nthreads >= 16 then error("echo.lua: at most 16 threads") end
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
  threads[#threads + 1] = thread
end

-- per-thread state (each wrk thread has its own Lua state)
tid, n = 0, 0
responses, bad, non2xx, limit, announce = 0, 0, 0, 0, false
sample = ""
local needle, needle2, prefix, suffix

local MODERN_META = '"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",' ..
  '"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"wrk","version":"1"}}'

function init(args)
  local text, session, modern = nil, nil, false
  for _, a in ipairs(args) do
    local k, v = a:match("^(%w+)=(.*)$")
    if k == "text" then text = v
    elseif k == "session" and v ~= "" then session = v
    elseif k == "era" then
      if v ~= "modern" and v ~= "legacy" then error("echo.lua: era=legacy or era=modern") end
      modern = (v == "modern")
    elseif k == "limit" then limit = tonumber(v) or 0
    elseif k == "announce" then announce = (v == "1")
    end
  end
  if not text or text == "" or text:find('["\\]') then
    error("echo.lua: need text=<text> without quotes or backslashes")
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json, text/event-stream"
  needle = '"text":"' .. text .. '"'
  prefix = '{"jsonrpc":"2.0","id":'
  suffix = ',"method":"tools/call","params":{"name":"echo","arguments":{"text":"' .. text .. '"}'
  if modern then
    if session then error("echo.lua: session= is for era=legacy (the 2026-07-28 revision has no session)") end
    wrk.headers["MCP-Protocol-Version"] = "2026-07-28"
    wrk.headers["Mcp-Method"] = "tools/call"
    wrk.headers["Mcp-Name"] = "echo"
    needle2 = '"resultType":"complete"'
    suffix = suffix .. ',' .. MODERN_META .. '}}'
  else
    wrk.headers["MCP-Protocol-Version"] = "2025-06-18"
    if session then wrk.headers["Mcp-Session-Id"] = session end
    suffix = suffix .. '}}'
  end
  n = 0
end

function request()
  n = n + 1
  return wrk.format(nil, nil, nil, prefix .. string.format("%d", n * 16 + tid) .. suffix)
end

function response(status, headers, body)
  responses = responses + 1
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
  if status ~= 200 or not body or not body:find(needle, 1, true) or
     (needle2 and not body:find(needle2, 1, true)) then
    bad = bad + 1
    if sample == "" then sample = tostring(status) .. " " .. (body or ""):sub(1, 200) end
  end
  if limit > 0 and responses >= limit then
    if responses == limit and announce then io.stderr:write("LIMIT " .. tid .. "\n"); io.stderr:flush() end
    wrk.thread:stop()
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
