#!/usr/bin/env python3
"""Checks `winnow serve` with the official `openai` Python client and raw HTTP.

1. Starts `winnow serve` on a free loopback port (--max-body-bytes: 1 MiB, or twice the texts).
2. Embeds 200 reference texts with `winnow embed` (the .npy is the reference) and asks
   /v1/embeddings for the same texts through `openai.OpenAI(base_url=...)`, both with the
   client's default (base64) and with encoding_format="float": the vectors must be equal bit
   for bit; it also reports the cosine to sentence-transformers' vectors
   (../shared/reference/minilm-reference.jsonl).
3. Errors: an empty input list and an unknown model through the client (BadRequestError,
   NotFoundError with OpenAI's error body), then raw HTTP: malformed JSON (400), a body over the
   limit (413), an unknown endpoint (404); every error body must be {"error": {...}}.
4. /healthz, /v1/examples (inline examples) and /v1/compress answer 200.

    swift build -c release --product winnow
    bench/.venv/bin/python bench/examples_server_openai.py
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(ROOT, "..", "shared", "reference", "minilm-reference.jsonl")
FAILURES = []


def check(condition, what):
    print(("ok    " if condition else "FAIL  ") + what)
    if not condition:
        FAILURES.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(port, method, path, body=None, raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.headers.get("Content-Type"), json.loads(response.read())
    except urllib.error.HTTPError as e:
        payload = e.read()
        try:
            parsed = json.loads(payload)
        except ValueError:
            parsed = payload
        return e.code, e.headers.get("Content-Type"), parsed


def is_error_body(body):
    return isinstance(body, dict) and isinstance(body.get("error"), dict) and body["error"].get("message") and body["error"].get("type")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--winnow", default=os.path.join(ROOT, ".build/release/winnow"))
    parser.add_argument("--texts", type=int, default=200)
    args = parser.parse_args()
    import openai

    lines = [json.loads(line) for line in open(REFERENCE, encoding="utf-8")][: args.texts]
    texts = [line["text"] for line in lines]
    work = tempfile.mkdtemp(prefix="winnow-serve-check-")
    with open(os.path.join(work, "texts.jsonl"), "w", encoding="utf-8") as f:
        for i, text in enumerate(texts):
            f.write(json.dumps({"id": str(i), "text": text}) + "\n")
    subprocess.run([args.winnow, "embed", "--input", os.path.join(work, "texts.jsonl"), "--output", os.path.join(work, "ref.npy"), "--quiet"],
                   check=True)
    reference = np.load(os.path.join(work, "ref.npy"))

    port = free_port()
    limit = max(1 << 20, 2 * len(json.dumps({"input": texts, "model": "all-MiniLM-L6-v2"}).encode()))
    server = subprocess.Popen([args.winnow, "serve", "--port", str(port), "--max-body-bytes", str(limit), "--no-cache"],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "serve.log"), "w"))
    try:
        deadline = time.time() + 120
        while True:
            try:
                status, _, health = http(port, "GET", "/healthz")
                if status == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.time() > deadline or server.poll() is not None:
                sys.exit("winnow serve did not come up; see " + os.path.join(work, "serve.log"))
            time.sleep(0.2)
        check(health.get("status") == "ok" and health.get("dimension") == 384, f"/healthz: {health}")

        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused")
        t0 = time.perf_counter()
        default = client.embeddings.create(model="all-MiniLM-L6-v2", input=texts)
        seconds = time.perf_counter() - t0
        floats = client.embeddings.create(model="all-MiniLM-L6-v2", input=texts, encoding_format="float")
        for name, response in (("default (base64)", default), ("float", floats)):
            got = np.array([d.embedding for d in sorted(response.data, key=lambda d: d.index)], dtype=np.float32)
            check(got.shape == reference.shape, f"openai client, {name}: shape {got.shape}")
            same = got.shape == reference.shape and np.array_equal(got, reference)
            diff = float(np.abs(got - reference).max()) if got.shape == reference.shape else float("nan")
            check(same, f"openai client, {name}: vectors equal to `winnow embed`'s bit for bit (max |diff| {diff:.3g})")
        check(default.usage.prompt_tokens > len(texts) and default.usage.total_tokens == default.usage.prompt_tokens,
              f"usage: {default.usage.prompt_tokens} prompt tokens")
        check(default.model == "all-MiniLM-L6-v2", f"model echoed: {default.model}")
        st = np.array([line["embedding"] for line in lines], dtype=np.float32)
        got = np.array([d.embedding for d in default.data], dtype=np.float32)
        cosine = (got * st).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(st, axis=1)
        check(cosine.min() >= 0.9999, f"cosine to sentence-transformers: min {cosine.min():.6f}")
        one = client.embeddings.create(model="sentence-transformers/all-MiniLM-L6-v2", input=texts[0])
        check(len(one.data) == 1 and np.array_equal(np.array(one.data[0].embedding, dtype=np.float32),
                                                     np.array(client.embeddings.create(model="all-MiniLM-L6-v2", input=[texts[0]]).data[0].embedding, dtype=np.float32)),
              "single-string input")
        print(f"      {len(texts)} texts in one request: {seconds:.2f} s through the client")

        try:
            client.embeddings.create(model="all-MiniLM-L6-v2", input=[])
            check(False, "empty input → BadRequestError")
        except openai.BadRequestError as e:
            check(e.status_code == 400 and isinstance(e.body, dict) and e.body.get("param") == "input",
                  f"empty input → openai.BadRequestError 400: {e.body}")
        try:
            client.embeddings.create(model="text-embedding-3-small", input="x")
            check(False, "unknown model → NotFoundError")
        except openai.NotFoundError as e:
            check(isinstance(e.body, dict) and e.body.get("code") == "model_not_found", f"unknown model → openai.NotFoundError 404: {e.body}")

        status, ctype, body = http(port, "POST", "/v1/embeddings", raw=b'{"model": "all-MiniLM-L6-v2", "input": ')
        check(status == 400 and ctype == "application/json" and is_error_body(body), f"malformed JSON → {status} {body}")
        status, ctype, body = http(port, "POST", "/v1/embeddings", body={"model": "all-MiniLM-L6-v2", "input": "x" * (limit + 1)})
        check(status == 413 and is_error_body(body), f"body over {limit} bytes → {status} {body}")
        status, ctype, body = http(port, "POST", "/v1/embeddings", body={"model": "all-MiniLM-L6-v2"})
        check(status == 400 and is_error_body(body) and body["error"].get("param") == "input", f"missing input → {status} {body}")
        status, ctype, body = http(port, "GET", "/v1/nothing")
        check(status == 404 and is_error_body(body), f"unknown endpoint → {status} {body}")

        status, _, body = http(port, "POST", "/v1/examples", body={
            "query": "How far is the Moon ?", "k": 1, "budget": 20,
            "examples": [{"input": "Who wrote Hamlet ?", "output": "HUM"}, {"input": "How far away is Mars ?", "output": "NUM"}]})
        check(status == 200 and body["examples"][0]["output"] == "NUM" and body["total_tokens"] <= 20, f"/v1/examples → {status}")
        status, _, body = http(port, "POST", "/v1/compress", body={
            "context": [" ".join(texts[:20])], "question": "What is this about?", "rate": 0.5})
        check(status == 200 and body["compressed_tokens"] < body["origin_tokens"],
              f"/v1/compress → {status}, {body.get('origin_tokens')} → {body.get('compressed_tokens')} tokens")
    finally:
        server.terminate()
        try:
            code = server.wait(timeout=30)
            check(code == 0, f"SIGTERM: server stopped with exit code {code}")
        except subprocess.TimeoutExpired:
            server.kill()
            check(False, "SIGTERM: server did not stop within 30 s")
    print(f"\n{len(FAILURES)} failure(s)")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
