-- POST /oauth/introspect as a service client (RFC 7662), for wrk.
-- BENCH_TOKEN: the token to introspect; BENCH_BASIC: base64 of "client_id:client_secret".
wrk.method = "POST"
wrk.body = "token=" .. os.getenv("BENCH_TOKEN")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BENCH_BASIC")
