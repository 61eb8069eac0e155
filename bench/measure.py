#!/usr/bin/env python3
"""Run one command and measure it: wall time, peak RSS, peak memory of the whole process tree.

    python3 bench/measure.py --json out.json --log run.log -- CMD ARGS...

Standard library only. Prints one JSON object (and writes it to --json):
  wall_seconds      monotonic wall time from spawn to exit
  max_rss_mb        ru_maxrss over the command and all its descendants (this script is a child
                    subreaper, so orphaned grandchildren are reaped and counted too): the
                    largest *single* process's peak resident set, the figure `/usr/bin/time -v`
                    prints as "Maximum resident set size"
  peak_tree_pss_mb  peak, over 200 ms samples (--interval), of the summed PSS (proportional set size,
                    /proc/PID/smaps_rollup; RSS where that is unreadable) of the command and all
                    its descendants -- what matters for multi-process tools such as datatrove,
                    whose workers are separate processes that max_rss_mb sees one at a time
  user_seconds, sys_seconds  CPU time of the command and its descendants
  exit_code
The command's stdout and stderr go to --log (default: inherited).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import subprocess
import sys
import threading
import time


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                s = f.read()
            ppid = int(s[s.rindex(b")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(name))
    return kids


def _mem_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(root: int) -> list[int]:
    kids, out, stack = _children_map(), [], [root]
    while stack:
        p = stack.pop()
        out.append(p)
        stack.extend(kids.get(p, []))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", help="write the result here too")
    ap.add_argument("--log", help="send the command's stdout+stderr to this file")
    # 200 ms: reading every process's smaps_rollup is not free; at 50 ms the sampling cost Winnow's
    # 2-worker exact dedup about 10 % of its wall time on a 2-vCPU machine (4.4-4.6 s against
    # 3.95-4.26 s with /usr/bin/time, 2026-12-07), an observer effect on every tool measured.
    ap.add_argument("--interval", type=float, default=0.2)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("no command given")

    # Become a child subreaper: descendants orphaned by their parent (e.g. multiprocessing's
    # forkserver and its pool workers) are re-parented to us, and once we reap them their CPU
    # time and peak RSS are counted in RUSAGE_CHILDREN, as they would be on a plain fork/wait.
    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass
    log = open(a.log, "wb") if a.log else None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=log or None, stderr=subprocess.STDOUT if log else None)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            try:
                total = sum(_mem_kb(p) for p in _tree(proc.pid))
            except Exception:  # noqa: BLE001 - processes come and go
                total = 0
            peak[0] = max(peak[0], total)
            done.wait(a.interval)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    done.set()
    th.join()
    # reap re-parented descendants (give stragglers up to 30 s to exit)
    deadline = time.monotonic() + 30
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if log:
        log.close()
    res = {
        "cmd": cmd,
        "exit_code": proc.returncode,
        "wall_seconds": round(wall, 3),
        # largest ru_maxrss among the command and all its (reaped) descendants
        "max_rss_mb": round(max(ru.ru_maxrss, after.ru_maxrss) / 1024, 1),
        "peak_tree_pss_mb": round(peak[0] / 1024, 1),
        "user_seconds": round(after.ru_utime - before.ru_utime, 2),
        "sys_seconds": round(after.ru_stime - before.ru_stime, 2),
    }
    s = json.dumps(res)
    print(s)
    if a.json:
        with open(a.json, "w") as f:
            f.write(s + "\n")
    sys.exit(0 if proc.returncode == 0 else 1)


if __name__ == "__main__":
    main()
