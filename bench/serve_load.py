#!/usr/bin/env python3
"""Load on an embedding/compression server over loopback (issue 24): many keep-alive clients,
mixed traffic, bounded in time; reports throughput, p50/p99 per request kind, statuses,
connection errors and the server's peak RSS.

    python3 bench/serve_load.py --url http://127.0.0.1:8080 --clients 200 --seconds 60 \
        --mix embed=0.65,compress=0.35 --pid PID --label winnow
    python3 bench/serve_load.py --url … --mix embed=1 --model all-MiniLM-L6-v2 --label infinity
    python3 bench/serve_load.py --url … --probe      # /healthz and a 1-text embedding while a
                                                      # maximum-size request runs

Inputs are fixed: sentences of SST-2 (../shared/data/classification/stsa.binary.test) for the
embeddings, SQuAD v1.1 dev paragraphs (~2 KB prompts) with a question for compression; the
choice of each request comes from a seeded generator, so runs see the same requests in the same
order per client. Python's standard library only (asyncio streams), so it runs anywhere.

One run for the record (docs/benchmarks.md): `compare` starts each server in turn, waits until
it answers, drives it, probes it, stops it (SIGTERM to the pid it started), and prints one JSON
line per server and a table:

    python3 bench/serve_load.py compare --winnow .build/release/winnow \
        --winnow-before /tmp/winnow-old/.build/release/winnow --infinity /tmp/infinity-venv \
        --models models --clients 200 --seconds 60

- `winnow` and `winnow-before` (a build of older code, for "before" figures) get the mixed
  traffic with all clients, then the embeddings share of the clients (65 %) with embeddings
  only, side by side with infinity-emb, which serves embeddings only;
- each server is then probed: /healthz and a 1-text embedding while a maximum-size request
  (2,048 texts of ~1 KB) runs.
"""
import argparse
import asyncio
import gzip
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared", "data")


def load_inputs():
    sst = os.path.join(SHARED, "classification", "stsa.binary.test")
    squad = os.path.join(SHARED, "qa", "squad-dev", "squad-v1.1-dev.json.gz")
    if not (os.path.exists(sst) and os.path.exists(squad)):
        sys.exit(f"serve_load: needs ../shared/data ({sst}, {squad})")
    sentences = [line.split(" ", 1)[1].strip() for line in open(sst, encoding="utf-8") if " " in line]
    data = json.load(gzip.open(squad))["data"]
    prompts = []
    for article in data:
        paragraphs = article["paragraphs"]
        for i in range(0, len(paragraphs) - 1, 2):
            context = [paragraphs[i]["context"], paragraphs[i + 1]["context"]]
            if 1500 <= sum(len(c) for c in context) <= 2600 and paragraphs[i]["qas"]:
                prompts.append((context, paragraphs[i]["qas"][0]["question"]))
    return sentences, prompts


class Connection:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def request(self, method, path, body=None, timeout=120):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        data = json.dumps(body).encode() if body is not None else b""
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        self.writer.write(head.encode() + data)
        await self.writer.drain()
        status_line = await asyncio.wait_for(self.reader.readline(), timeout)
        if not status_line:
            raise ConnectionError("connection closed")
        status = int(status_line.split()[1])
        length, close = 0, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value.strip())
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        payload = await self.reader.readexactly(length)
        if close:
            self.close()
        return status, payload

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def rss_kb(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


async def client(n, args, host, port, sentences, prompts, deadline, results):
    rng = random.Random(args.seed * 100003 + n)
    connection = Connection(host, port)
    kinds = [k for k, _ in args.mix]
    weights = [w for _, w in args.mix]
    while time.monotonic() < deadline:
        kind = rng.choices(kinds, weights)[0]
        if kind == "embed":
            texts = [rng.choice(sentences) for _ in range(rng.randint(1, 8))]
            path, body = "/v1/embeddings", {"input": texts, "model": args.model}
        else:
            context, question = rng.choice(prompts)
            path, body = "/v1/compress", {"context": context, "question": question, "rate": 0.5}
        start = time.monotonic()
        try:
            status, _ = await connection.request("POST", path, body)
        except (OSError, ConnectionError, asyncio.IncompleteReadError, asyncio.TimeoutError):
            connection.close()
            results["connection_errors"] += 1
            await asyncio.sleep(0.05)
            continue
        elapsed = time.monotonic() - start
        if time.monotonic() <= deadline + 30:
            results["latency"].setdefault(kind, []).append(elapsed)
            results["status"][status] = results["status"].get(status, 0) + 1
    connection.close()


async def sample_rss(pid, stop, results):
    while not stop.is_set():
        value = rss_kb(pid)
        if value:
            results["rss_peak_kb"] = max(results.get("rss_peak_kb", 0), value)
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except asyncio.TimeoutError:
            pass


async def load(args, host, port):
    sentences, prompts = load_inputs()
    results = {"latency": {}, "status": {}, "connection_errors": 0}
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(args.pid, stop, results)) if args.pid else None
    if args.pid:
        results["rss_start_kb"] = rss_kb(args.pid)
    start = time.monotonic()
    deadline = start + args.seconds
    await asyncio.gather(*(client(n, args, host, port, sentences, prompts, deadline, results) for n in range(args.clients)))
    wall = time.monotonic() - start
    stop.set()
    if sampler:
        await sampler
    total = sum(len(v) for v in results["latency"].values())
    report = {
        "label": args.label, "clients": args.clients, "seconds": round(wall, 1), "requests": total,
        "requests_per_s": round(total / wall, 1),
        "status": {str(k): v for k, v in sorted(results["status"].items())},
        "connection_errors": results["connection_errors"],
        "rss_start_mb": round(results["rss_start_kb"] / 1024) if results.get("rss_start_kb") else None,
        "rss_peak_mb": round(results["rss_peak_kb"] / 1024) if results.get("rss_peak_kb") else None,
    }
    for kind, values in sorted(results["latency"].items()):
        report[kind] = {
            "requests": len(values), "per_s": round(len(values) / wall, 1),
            "p50_ms": round(1000 * percentile(values, 0.50)), "p99_ms": round(1000 * percentile(values, 0.99)),
        }
    print(json.dumps(report))


async def probe(args, host, port):
    """A maximum-size legal request (max-inputs texts of ~1 KB each), then, 0.5 s later, a
    /healthz and a 1-text embeddings request on other connections: their latencies."""
    sentences, _ = load_inputs()
    rng = random.Random(args.seed)
    big = [" ".join(rng.choice(sentences) for _ in range(8))[:1000] for _ in range(args.max_inputs)]
    heavy = Connection(host, port)
    task = asyncio.create_task(heavy.request("POST", "/v1/embeddings", {"input": big, "model": args.model}, timeout=600))
    await asyncio.sleep(0.5)
    out = {"label": args.label, "big_request_texts": len(big)}
    for name, method, path, body in [
        ("healthz", "GET", args.health_path, None),
        ("embed_1_text", "POST", "/v1/embeddings", {"input": ["a short text"], "model": args.model}),
    ]:
        connection = Connection(host, port)
        start = time.monotonic()
        status, _ = await connection.request(method, path, body)
        out[name + "_ms"] = round(1000 * (time.monotonic() - start), 1)
        out[name + "_status"] = status
        connection.close()
    if getattr(args, "wait_big", True):
        big_start = time.monotonic()
        status, _ = await task
        out["big_request_status"] = status
        out["big_request_remaining_s"] = round(time.monotonic() - big_start, 1)
    else:
        task.cancel()
        out["big_request_status"] = out["big_request_remaining_s"] = None
    heavy.close()
    print(json.dumps(out))
    return out


# ---------------------------------------------------------------- compare: one run, every server

def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, process, limit):
    """Polls `url` until it answers 200 (or the process dies, or `limit` seconds pass)."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {limit} s")


def post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=300) as response:
        return response.status


class Server:
    """One server process this script started (stopped by its pid, never by name)."""

    def __init__(self, name, command, port, ready_path, health_path, env=None, log=None):
        self.name, self.command, self.port = name, command, port
        self.ready_path, self.health_path = ready_path, health_path
        self.env, self.log = env, log
        self.process = None

    def __enter__(self):
        out = open(self.log, "w") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(self.command, stdout=out, stderr=subprocess.STDOUT, env=self.env, start_new_session=True)
        try:
            self.startup_s = wait_ready(f"http://127.0.0.1:{self.port}{self.ready_path}", self.process, 900)
            # Warm-up: the first requests load code paths and pages.
            for _ in range(3):
                post(f"http://127.0.0.1:{self.port}/v1/embeddings", {"input": ["warm up", "a second text"], "model": "all-MiniLM-L6-v2"})
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            # The session's leader is the process started here: only its own group is signalled.
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def namespace(base, **changes):
    values = dict(vars(base))
    values.update(changes)
    return argparse.Namespace(**values)


def run_load(args, port, label, clients, mix, pid):
    import contextlib
    import io
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        asyncio.run(load(namespace(args, clients=clients, mix=mix, pid=pid, label=label), "127.0.0.1", port))
    line = buffer.getvalue().strip().splitlines()[-1]
    print(line, flush=True)
    return json.loads(line)


def run_probe(args, port, label, health_path):
    import contextlib
    import io
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        asyncio.run(probe(namespace(args, label=label, health_path=health_path), "127.0.0.1", port))
    line = buffer.getvalue().strip().splitlines()[-1]
    print(line, flush=True)
    return json.loads(line)


def compare(args):
    models = os.path.abspath(args.models)
    model = os.path.join(models, "all-MiniLM-L6-v2")
    embed_clients = max(1, round(args.clients * args.embed_share))
    mixed = [("embed", args.embed_share), ("compress", 1 - args.embed_share)]
    servers = []
    for name, binary in [("winnow-before", args.winnow_before), ("winnow", args.winnow)]:
        if binary:
            def command(port, binary=binary):
                return [binary, "serve", "--port", str(port), "--model", model, "--no-cache", "--max-inputs", str(args.max_inputs)] + (
                    ["--workers", str(args.workers)] if args.workers else [])
            servers.append((name, command, "/healthz", "/healthz", True))
    if args.infinity:
        def infinity(port):
            return [os.path.join(args.infinity, "bin", "infinity_emb"), "v2", "--model-id", model,
                    "--served-model-name", "all-MiniLM-L6-v2", "--engine", "torch", "--device", "cpu",
                    "--url-prefix", "/v1", "--host", "127.0.0.1", "--port", str(port), "--no-model-warmup",
                    "--log-level", "warning"]
        servers.append(("infinity-emb", infinity, "/v1/models", "/health", False))
    env = dict(os.environ, WINNOW_MODELS=models, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", INFINITY_ANONYMOUS_USAGE_STATS="0")
    results = []
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for round_ in range(args.rounds):
        for name, command, ready, health, serves_compress in servers:
            port = free_port()
            log = os.path.join(args.log_dir, f"{name}.log") if args.log_dir else None
            with Server(name, command(port), port, ready, health, env=env, log=log) as server:
                entry = {"server": name, "round": round_ + 1, "startup_s": round(server.startup_s, 1),
                         "load1_start": os.getloadavg()[0]}
                if serves_compress:
                    entry["mixed"] = run_load(args, port, f"{name} mixed", args.clients, mixed, server.process.pid)
                entry["embed_only"] = run_load(args, port, f"{name} embeddings only", embed_clients, [("embed", 1.0)], server.process.pid)
                entry["probe"] = run_probe(args, port, name, health)
                entry["load1_end"] = os.getloadavg()[0]
                results.append(entry)
    summary = {"date": started, "clients": args.clients, "embed_clients": embed_clients, "seconds": args.seconds, "results": results}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(summary, f, indent=1)
    print_table(summary)


def print_table(summary):
    print(f"\n{summary['date']}: {summary['clients']} clients mixed / {summary['embed_clients']} embeddings only, {summary['seconds']} s each")
    print("| server | traffic | requests/s | embeddings p50 / p99 ms | compress p50 / p99 ms | statuses | conn. errors | RSS start → peak MB |")
    print("|---|---|---|---|---|---|---|---|")
    for entry in summary["results"]:
        for key in ("mixed", "embed_only"):
            r = entry.get(key)
            if not r:
                continue
            e, c = r.get("embed", {}), r.get("compress", {})
            print(f"| {entry['server']} (round {entry['round']}) | {key.replace('_', ' ')} | {r['requests_per_s']} | "
                  f"{e.get('p50_ms', '–')} / {e.get('p99_ms', '–')} | {c.get('p50_ms', '–')} / {c.get('p99_ms', '–')} | "
                  f"{r['status']} | {r['connection_errors']} | {r['rss_start_mb']} → {r['rss_peak_mb']} |")
    print("\n| server | /healthz ms | 1-text embedding ms | big request (texts, status, s after the probes) |")
    print("|---|---|---|---|")
    for entry in summary["results"]:
        p = entry["probe"]
        print(f"| {entry['server']} (round {entry['round']}) | {p['healthz_ms']} ({p['healthz_status']}) | "
              f"{p['embed_1_text_ms']} ({p['embed_1_text_status']}) | {p['big_request_texts']}, {p['big_request_status']}, {p['big_request_remaining_s']} |")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "compare":
        parser = argparse.ArgumentParser(prog="serve_load.py compare", description="every server in one run (see the module doc)")
        parser.add_argument("--winnow", help="the winnow binary to measure")
        parser.add_argument("--winnow-before", help="an older winnow binary, for before/after figures")
        parser.add_argument("--infinity", help="the virtualenv holding infinity-emb (bench/setup_infinity.sh)")
        parser.add_argument("--models", default="models", help="the folder holding all-MiniLM-L6-v2 (and gpt2.tiktoken)")
        parser.add_argument("--clients", type=int, default=200)
        parser.add_argument("--embed-share", type=float, default=0.65)
        parser.add_argument("--seconds", type=float, default=60)
        parser.add_argument("--rounds", type=int, default=1)
        parser.add_argument("--workers", type=int, help="winnow serve --workers (default: its own, the core count)")
        parser.add_argument("--max-inputs", type=int, default=2048)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--model", default="all-MiniLM-L6-v2")
        parser.add_argument("--out", help="write every figure as JSON here")
        parser.add_argument("--no-wait-big", dest="wait_big", action="store_false",
                            help="probe: do not wait for the maximum-size request to finish (the server is stopped after)")
        parser.add_argument("--log-dir", help="keep each server's output here")
        args = parser.parse_args(sys.argv[2:])
        if args.log_dir:
            os.makedirs(args.log_dir, exist_ok=True)
        compare(args)
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--mix", default="embed=0.65,compress=0.35")
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pid", type=int, help="the server's pid, for its RSS")
    parser.add_argument("--label", default="server")
    parser.add_argument("--probe", action="store_true")
    parser.add_argument("--health-path", default="/healthz")
    parser.add_argument("--max-inputs", type=int, default=2048)
    args = parser.parse_args()
    args.mix = [(k, float(w)) for k, w in (part.split("=") for part in args.mix.split(","))]
    hostport = args.url.split("//", 1)[-1].rstrip("/")
    host, port = hostport.rsplit(":", 1)
    asyncio.run(probe(args, host, int(port)) if args.probe else load(args, host, int(port)))


if __name__ == "__main__":
    main()
