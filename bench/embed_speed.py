#!/usr/bin/env python3
"""Embedding throughput: Winnow vs sentence-transformers (CPU torch) vs onnxruntime, all-MiniLM-L6-v2.

    bench/.venv/bin/python bench/embed_speed.py [--runs 3] [--threads 2] [--winnow .build/release/winnow]
        [--coretype SkylakeX]   # also run Winnow with OPENBLAS_CORETYPE set (both rows are reported)

`winnow` sets OPENBLAS_CORETYPE from the CPU's features (SkylakeX with AVX-512, Haswell with AVX2)
before it opens OpenBLAS; run the script with WINNOW_OPENBLAS_AUTO=0 in the environment to leave
the choice to OpenBLAS (the generic kernel on CPUs it does not know).

Issue 6, "Done when" item 3. Two inputs, built deterministically from ../shared/data:
  * paragraphs: the first 1,024 paragraphs (non-heading lines) of WikiText-2's test split
  * long:       256 documents of >= 256 tokens: consecutive WikiText paragraphs of one article
                merged until the text has >= 300 tokens (every tool truncates at 256, as
                sentence_bert_config.json says)
written to bench/data/embed/{paragraphs,long}.jsonl.

Each tool embeds each input `--runs` times on `--threads` threads (interleaved winnow, st, ort,
winnow, ...); the table gives the median seconds and texts/s and the ratio to the faster peer.
  * winnow: `winnow embed --input X --output bench/out/embed/winnow.npy --workers T` — the
    whole process (start-up, model load, tokenising, forward passes, writing the .npy), so
    its figure is a slight overstatement of its encode time.
  * sentence-transformers: `SentenceTransformer(folder, device="cpu").encode(texts,
    batch_size=32, normalize_embeddings=False)` after one warm-up call, torch.set_num_threads(T);
    model load and import are not timed.
  * onnxruntime: the same model exported once with torch.onnx.export (bench/out/embed/minilm.onnx,
    opset 17, dynamic batch and sequence axes), session with intra_op_num_threads=T and all graph
    optimisations; tokenising with the model's fast tokenizer (truncation at 256), texts sorted by
    length and batched by 32 with padding to the batch's longest (as sentence-transformers does),
    mean pooling and L2-normalisation in numpy; one warm-up call; load not timed.

The FLOP floor: the encoder's multiply-adds for the real (unpadded) token counts — per layer and
token 24·H² for the projections and feed-forward, plus 4·L·H for attention scores and mixing
(H = 384, L = the text's length) — divided by the machine's float32 GEMM rate, measured with
numpy (its own OpenBLAS, which detects this CPU) on T threads for a 2048×384 · 384×1536 product.
Every tool's time is also given as a multiple of that floor. The OpenBLAS kernel Winnow ran is
printed by `winnow embed` and shown in the table. Cosine agreement of Winnow's vectors with
sentence-transformers' is checked on every run (min cosine printed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODEL = os.path.join(ROOT, "models", "all-MiniLM-L6-v2")


def build_inputs(data: str, tokenizer) -> dict[str, list[str]]:
    path = os.path.join(data, "text", "wikitext-2-raw", "wiki.test.raw")
    articles: list[list[str]] = []
    for line in open(path, encoding="utf-8"):
        s = line.strip()
        if s.startswith("= ") and s.endswith(" =") and not s.startswith("= ="):
            articles.append([])
        elif s and not s.startswith("="):
            if not articles:
                articles.append([])
            articles[-1].append(s)
    paragraphs = [p for a in articles for p in a][:1024]
    long: list[str] = []
    for a in articles:
        cur: list[str] = []
        for p in a:
            cur.append(p)
            text = "\n".join(cur)
            if len(tokenizer(text, truncation=False)["input_ids"]) >= 300:
                long.append(text)
                cur = []
            if len(long) == 256:
                break
        if len(long) == 256:
            break
    if len(paragraphs) < 1024 or len(long) < 256:
        sys.exit(f"embed_speed: only {len(paragraphs)} paragraphs / {len(long)} long documents from {path}")
    return {"paragraphs": paragraphs, "long": long}


def write_jsonl(path: str, texts: list[str]) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": str(i), "text": t}, ensure_ascii=False) + "\n")


def flops(token_counts: list[int], layers=6, hidden=384) -> float:
    total = 0.0
    for n in token_counts:
        total += layers * n * (2 * 12 * hidden * hidden + 4 * n * hidden)
    return total


def gemm_rate(threads: int) -> float:
    import numpy as np
    try:
        from threadpoolctl import threadpool_limits
        limit = threadpool_limits(threads)
    except ImportError:
        limit = None
    a = np.random.default_rng(0).standard_normal((2048, 384), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((384, 1536), dtype=np.float32)
    a @ b
    best = float("inf")
    for _ in range(20):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    del limit
    return 2 * 2048 * 384 * 1536 / best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--winnow", default=os.path.join(ROOT, ".build", "release", "winnow"))
    ap.add_argument("--coretype", default=None, help="also run winnow with OPENBLAS_CORETYPE=this")
    ap.add_argument("--skip-default-kernel", action="store_true",
                    help="with --coretype: do not also run winnow with the kernel OpenBLAS picks itself")
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--only", default="winnow,st,ort")
    args = ap.parse_args()
    only = set(args.only.split(","))
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

    import numpy as np
    import torch
    from transformers import AutoTokenizer

    torch.set_num_threads(args.threads)
    tokenizer = AutoTokenizer.from_pretrained(MODEL)
    inputs = build_inputs(os.path.normpath(args.data), tokenizer)
    out = os.path.join(ROOT, "bench", "out", "embed")
    os.makedirs(out, exist_ok=True)
    files = {}
    for name, texts in inputs.items():
        files[name] = os.path.join(ROOT, "bench", "data", "embed", f"{name}.jsonl")
        write_jsonl(files[name], texts)
    counts = {name: [len(ids) for ids in tokenizer(texts, truncation=True, max_length=256)["input_ids"]]
              for name, texts in inputs.items()}
    rate = gemm_rate(args.threads)
    floor = {name: flops(c) / rate for name, c in counts.items()}

    # sentence-transformers
    st_model = None
    if "st" in only or "winnow" in only:
        from sentence_transformers import SentenceTransformer
        st_model = SentenceTransformer(MODEL, device="cpu")
        st_model.encode(["warm up"], batch_size=32)

    # onnxruntime
    ort_session = None
    if "ort" in only:
        import onnxruntime as ort
        onnx_path = os.path.join(out, "minilm.onnx")
        if not os.path.exists(onnx_path):
            from transformers import AutoModel
            hf = AutoModel.from_pretrained(MODEL).eval()

            class Encoder(torch.nn.Module):  # keyword arguments: transformers 5 reordered forward()'s
                def __init__(self, bert):
                    super().__init__()
                    self.bert = bert

                def forward(self, input_ids, attention_mask, token_type_ids):
                    return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                                     token_type_ids=token_type_ids).last_hidden_state

            enc = tokenizer(["a warm up sentence", "another one"], padding=True, return_tensors="pt")
            with torch.no_grad():
                torch.onnx.export(
                    Encoder(hf), (enc["input_ids"], enc["attention_mask"], enc["token_type_ids"]), onnx_path,
                    input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
                    dynamic_axes={k: {0: "batch", 1: "seq"} for k in ["input_ids", "attention_mask", "token_type_ids", "last_hidden_state"]},
                    opset_version=17, dynamo=False)
        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        ort_session = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])

    def ort_encode(texts: list[str]) -> np.ndarray:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        result = np.zeros((len(texts), 384), dtype=np.float32)
        for s in range(0, len(order), 32):
            idx = order[s:s + 32]
            enc = tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=256, return_tensors="np")
            feed = {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
            hidden = ort_session.run(None, feed)[0]
            mask = enc["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
            result[idx] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return result

    if ort_session is not None:
        ort_encode(["warm up"])

    tools = []
    if "winnow" in only:
        if not (args.coretype and args.skip_default_kernel):
            tools.append(("winnow", None))
        if args.coretype:
            tools.append((f"winnow[{args.coretype}]", args.coretype))
    if "st" in only:
        tools.append(("sentence-transformers", None))
    if "ort" in only:
        tools.append(("onnxruntime", None))

    times: dict[tuple[str, str], list[float]] = {}
    kernels: dict[str, str] = {}
    min_cos: dict[tuple[str, str], float] = {}
    reference = {name: st_model.encode(texts, batch_size=32) for name, texts in inputs.items()} if st_model else {}
    for name, texts in inputs.items():
        for run in range(args.runs):
            for tool, coretype in tools:
                if tool.startswith("winnow"):
                    env = dict(os.environ)
                    env.pop("OPENBLAS_CORETYPE", None)
                    if coretype:
                        env["OPENBLAS_CORETYPE"] = coretype
                    npy = os.path.join(out, "winnow.npy")
                    t = time.perf_counter()
                    p = subprocess.run([args.winnow, "embed", "--input", files[name], "--output", npy,
                                        "--workers", str(args.threads), "--model", MODEL],
                                       env=env, capture_output=True, text=True)
                    dt = time.perf_counter() - t
                    if p.returncode != 0:
                        sys.exit(f"winnow failed: {p.stderr}")
                    kernels[tool] = p.stderr.rsplit("[OpenBLAS ", 1)[-1].split("]")[0]
                    vectors = np.load(npy)
                elif tool == "sentence-transformers":
                    t = time.perf_counter()
                    vectors = st_model.encode(texts, batch_size=32)
                    dt = time.perf_counter() - t
                else:
                    t = time.perf_counter()
                    vectors = ort_encode(texts)
                    dt = time.perf_counter() - t
                times.setdefault((tool, name), []).append(dt)
                if reference:
                    ref = reference[name]
                    cos = (vectors * ref).sum(1) / np.linalg.norm(vectors, axis=1) / np.linalg.norm(ref, axis=1)
                    min_cos[(tool, name)] = min(min_cos.get((tool, name), 1.0), float(cos.min()))
                print(f"  {name:10s} run {run + 1} {tool:22s} {dt:7.2f} s", file=sys.stderr, flush=True)

    lines = []
    lines.append(f"all-MiniLM-L6-v2, {args.threads} threads, median of {args.runs}; numpy sgemm rate {rate / 1e9:.1f} GFLOP/s")
    for name in inputs:
        n = len(inputs[name])
        tok = sum(counts[name])
        lines.append("")
        lines.append(f"{name}: {n} texts, {tok} tokens (mean {tok / n:.0f}), {flops(counts[name]) / 1e9:.1f} GFLOP, floor {floor[name]:.2f} s")
        peers = [statistics.median(times[(t, name)]) for t, _ in tools if not t.startswith("winnow")]
        best_peer = min(peers) if peers else None
        lines.append(f"  {'tool':24s} {'median s':>9s} {'texts/s':>8s} {'× floor':>8s} {'vs best peer':>12s} {'min cos':>8s}  kernel")
        for tool, _ in tools:
            m = statistics.median(times[(tool, name)])
            ratio = f"{best_peer / m:.2f}×" if best_peer else "-"
            cos = f"{min_cos.get((tool, name), float('nan')):.6f}"
            lines.append(f"  {tool:24s} {m:9.2f} {n / m:8.1f} {m / floor[name]:8.1f} {ratio:>12s} {cos:>8s}  {kernels.get(tool, '')}")
    text = "\n".join(lines)
    print(text)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    os.makedirs(os.path.join(ROOT, "bench", "out", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "out", "results", f"embed-speed-{stamp}.txt"), "w") as f:
        f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
