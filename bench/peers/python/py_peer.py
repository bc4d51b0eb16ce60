#!/usr/bin/python3
"""Python asyncio / uvloop peer for the async-runtime peer benchmarks (W1-W5).

Run with Debian's interpreter (/usr/bin/python3, which has python3-uvloop and
python3-aiohttp), not a pyenv/venv python.

usage: py_peer.py <w1|w2a|w2b|w3|spawn|echo-server|http-client|http-server> [--loop asyncio|uvloop] [options]

Every result is printed as a line `METRIC name value unit`.
"""
import argparse
import asyncio
import resource
import sys
import time

# Same 64-bit LCG (Knuth MMIX constants) in every peer, so W3 sleeps the same delays.
LCG_A = 6364136223846793005
LCG_C = 1442695040888963407
MASK64 = (1 << 64) - 1

DEFAULTS = {"w1": 200_000, "w3": 100_000, "spawn": 1000, "http-client": 20_000}
DEFAULTS_M = {"w2a": 1_000_000, "w2b": 200_000}


def metric(name, value, unit):
    print(f"METRIC {name} {value} {unit}", flush=True)


def peak_rss_kib():
    """VmHWM: the kernel's high-water mark of this process's resident set.
    (getrusage's ru_maxrss is not used: after fork+exec it can report the
    parent's size, e.g. that of a Python harness that started us.)"""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


# ---------------------------------------------------------------- W1 spawn
async def _child(i):
    return i * 2


async def w1(n):
    t0 = time.perf_counter()
    res = await asyncio.gather(*[_child(i) for i in range(n)])
    dt = time.perf_counter() - t0
    ok = sum(res) == n * (n - 1)
    metric("w1.tasks", n, "count")
    metric("w1.wall", f"{dt:.6f}", "s")
    if n:
        metric("w1.ns_per_task", f"{dt * 1e9 / n:.1f}", "ns")
    metric("w1.ok", int(ok), "bool")


# ---------------------------------------------------------------- spawn
async def spawn(n, c):
    """Start and wait for n /bin/true, c at a time; the children inherit
    stdin, stdout and stderr (as with cio and Go)."""
    left = n
    bad = 0

    async def worker():
        nonlocal left, bad
        while left > 0:
            left -= 1
            try:
                p = await asyncio.create_subprocess_exec("/bin/true")
                code = await p.wait()
            except OSError as e:
                code = e
            if code != 0:
                if bad == 0:
                    print(f"py_peer spawn: {code}", file=sys.stderr)
                bad += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(max(c, 1))))
    dt = time.perf_counter() - t0
    metric("spawn.processes", n, "count")
    metric("spawn.concurrency", max(c, 1), "count")
    metric("spawn.wall", f"{dt:.6f}", "s")
    if n:
        metric("spawn.us_per_process", f"{dt * 1e6 / n:.1f}", "us")
    metric("spawn.ok", int(bad == 0 and left <= 0), "bool")


# ---------------------------------------------------------------- W2 switch
async def w2a(m):
    async def yielder():
        sleep = asyncio.sleep
        t0 = time.perf_counter()
        for _ in range(m):
            await sleep(0)
        return time.perf_counter() - t0

    dt = await asyncio.create_task(yielder())
    metric("w2a.yields", m, "count")
    metric("w2a.wall", f"{dt:.6f}", "s")
    metric("w2a.ns_per_yield", f"{dt * 1e9 / m:.1f}", "ns")


async def w2b(m):
    ping = asyncio.Queue(maxsize=1)
    pong = asyncio.Queue(maxsize=1)

    async def ponger():
        for _ in range(m):
            v = await ping.get()
            await pong.put(v + 1)

    async def pinger():
        acc = 0
        t0 = time.perf_counter()
        for i in range(m):
            await ping.put(i)
            acc += await pong.get() - i
        return time.perf_counter() - t0, acc

    p = asyncio.create_task(ponger())
    dt, acc = await asyncio.create_task(pinger())
    await p
    metric("w2b.round_trips", m, "count")
    metric("w2b.wall", f"{dt:.6f}", "s")
    metric("w2b.ns_per_round_trip", f"{dt * 1e9 / m:.1f}", "ns")
    metric("w2b.ok", int(acc == m), "bool")


# ---------------------------------------------------------------- W3 sleepers
async def _sleeper(delay_s):
    await asyncio.sleep(delay_s)


async def w3(n, seed):
    t0 = time.perf_counter()
    x = seed
    coros = []
    for _ in range(n):
        x = (x * LCG_A + LCG_C) & MASK64
        coros.append(_sleeper(((x >> 33) % 1001) / 1000.0))
    fut = asyncio.gather(*coros)  # wraps every coroutine in a Task and schedules it
    del coros
    spawned = time.perf_counter() - t0
    await fut
    dt = time.perf_counter() - t0
    metric("w3.tasks", n, "count")
    metric("w3.spawn_wall", f"{spawned:.6f}", "s")
    metric("w3.wall", f"{dt:.6f}", "s")


# ---------------------------------------------------------------- W4 echo server
class EchoProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def _echo_stream_handler(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def echo_server(port, api):
    loop = asyncio.get_running_loop()
    if api == "streams":
        server = await asyncio.start_server(_echo_stream_handler, "127.0.0.1", port, backlog=1024)
    else:
        server = await loop.create_server(EchoProtocol, "127.0.0.1", port, backlog=1024)
    print(f"READY 127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


# ---------------------------------------------------------------- W5 HTTP client
async def http_client(url, n, conc, want):
    import aiohttp

    ok = 0
    errors = 0
    issued = 0

    async def worker(session):
        nonlocal ok, errors, issued
        while issued < n:
            issued += 1
            try:
                async with session.get(url) as resp:
                    if resp.status != 200:
                        errors += 1
                        await resp.read()
                        continue
                    data = await resp.json()
                if data.get("ip") == want:
                    ok += 1
                else:
                    errors += 1
            except Exception:  # counted, not raised: the benchmark reports failures
                errors += 1

    connector = aiohttp.TCPConnector(limit=conc, limit_per_host=conc)
    async with aiohttp.ClientSession(connector=connector) as session:
        t0, c0 = time.perf_counter(), time.process_time()
        await asyncio.gather(*[worker(session) for _ in range(conc)])
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    metric("w5.requests", n, "count")
    metric("w5.ok", ok, "count")
    metric("w5.errors", errors, "count")
    metric("w5.wall", f"{dt:.6f}", "s")
    metric("w5.req_per_s", f"{ok / dt:.1f}", "req/s")
    metric("w5.client_cpu", f"{cpu:.3f}", "s")
    metric("w5.cpu_per_req", f"{cpu * 1e6 / n:.1f}", "us")


# ---------------------------------------------------------------- HTTP server
# The 313-byte ip.json of bench/peers/nginx/www.
IP_JSON = '{"ip": "203.0.113.7", "hostname": "host-203-0-113-7.example.net", "city": "Springfield", "region": "Example Region", "country": "ZZ", "loc": "0.0000,0.0000", "org": "AS64500 Example Networks (documentation address range)", "postal": "00000", "timezone": "Etc/UTC", "asn": 64500, "anycast": false, "bogon": false}\n'


async def http_server(port):
    """aiohttp.web serving IP_JSON at /ip.json (application/json) on
    127.0.0.1:port until killed."""
    from aiohttp import web

    body = IP_JSON.encode()

    async def ip(request):
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/ip.json", ip)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
    await site.start()
    print(f"READY 127.0.0.1:{port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["w1", "w2a", "w2b", "w3", "spawn", "echo-server", "http-client", "http-server"])
    ap.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    ap.add_argument("-n", type=int, default=None, help="tasks / requests")
    ap.add_argument("-m", type=int, default=None, help="yields / round trips")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--port", type=int, default=28001)
    ap.add_argument("--api", choices=["streams", "protocol"], default="streams")
    ap.add_argument("--url", default="http://127.0.0.1:28080/ip.json")
    ap.add_argument("-c", type=int, default=None,
                    help="requests in flight (http-client, default 64); children at a time (spawn, default 16)")
    ap.add_argument("--want", default="203.0.113.7")
    a = ap.parse_args()
    n = a.n if a.n is not None else DEFAULTS.get(a.cmd, 0)
    m = a.m if a.m is not None else DEFAULTS_M.get(a.cmd, 0)
    c = a.c if a.c is not None else (16 if a.cmd == "spawn" else 64)

    if a.loop == "uvloop":
        import uvloop
        uvloop.install()
    if a.cmd in ("http-client", "http-server"):
        import aiohttp  # noqa: F401  (imported before timing starts)

    if a.cmd == "w1":
        coro = w1(n)
    elif a.cmd == "w2a":
        coro = w2a(m)
    elif a.cmd == "w2b":
        coro = w2b(m)
    elif a.cmd == "w3":
        coro = w3(n, a.seed)
    elif a.cmd == "spawn":
        coro = spawn(n, c)
    elif a.cmd == "echo-server":
        coro = echo_server(a.port, a.api)
    elif a.cmd == "http-server":
        coro = http_server(a.port)
    else:
        coro = http_client(a.url, n, c, a.want)
    try:
        asyncio.run(coro)
    except KeyboardInterrupt:
        pass
    ru = resource.getrusage(resource.RUSAGE_SELF)
    metric("minflt", ru.ru_minflt, "count")
    metric("peak_rss", peak_rss_kib(), "KiB")


if __name__ == "__main__":
    main()
