-- POST the same pre-built multipart body on every request; wrk stays a light C client.
-- BENCH_BODY: file holding the whole multipart body; BENCH_BOUNDARY; BENCH_KEY (API key).
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. os.getenv("BENCH_BOUNDARY")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
-- One upload per connection, as independent clients (ShareX, browsers, scripts) send them:
-- gunicorn keeps a keep-alive connection on the worker that accepted it, so 8 long-lived
-- connections would measure how they happened to be spread, not what 2 workers can do.
wrk.headers["Connection"] = "close"
