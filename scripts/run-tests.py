#!/usr/bin/env python3
"""Builds and runs the test suite the way `make test` (and so CI) does, and says what it did.

1. `swift build --build-tests`, its output passed through. A compiler or SwiftPM warning for
   this package's own files (Sources/, Tests/, Package.swift; a warning inside a macro
   expansion counts for the file the macro is in) fails the run: the build stays warnings-free.
   Warnings about dependencies (.build/checkouts, SwiftPM's notes on other packages) are
   counted and ignored. SwiftPM recompiles only what changed, so on an incremental build this
   sees the warnings of the files compiled this time; a fresh clone (CI) compiles everything.
2. `swift test --skip-build --disable-xctest` (no test uses XCTest; without the flag XCTest's
   empty pass prints "Executed 0 tests" twice), its output passed through, with Swift Testing's
   event stream (JSON lines, version 0) written to a temporary file. Without arguments it runs
   three passes: WinnowServerTests (their in-process servers answer on Swift's cooperative
   threads, which other tests block for minutes) and, beside them in a second process,
   SlurmExecutorTests (mostly waiting for the scheduler); then every other test.
3. A summary from that stream: "N passed, M skipped, F failed", then every skipped test (its
   `.enabled(if:)`/`.disabled` comment or the `Test.cancel` reason) and every skipped case of a
   parameterised test, with file:line. Swift Testing's own closing line counts skipped tests
   as passed and does not name them.

Exit status: the test run's when it failed, else 1 for warnings in our files, else 0.

Usage: python3 scripts/run-tests.py [SWIFT_TEST_ARGS…]      e.g. -- --filter WinnowIOTests
       python3 scripts/run-tests.py --check-build-log FILE [ROOT]  only step 1's check, on a saved
                                   log of a build in ROOT (default: this package)
Environment: SWIFT (default `swift`).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SWIFT = os.environ.get("SWIFT", "swift")

# `path:line:col: warning: message` or `macro expansion #expect:1:22: warning: message` at the
# start of a line (the indented `|  `- warning:` lines are the same diagnostic's source excerpt).
WARNING = re.compile(r"^(?P<where>\S[^\n]*?): warning: (?P<message>.*)$")
ORIGIN = re.compile(r"^\s*`- (?P<where>/[^\n]*?:\d+:\d+): note: expanded code originates here")
PACKAGE_WARNING = re.compile(r"^warning: '(?P<package>[^']+)': (?P<message>.*)$")


def package_name():
    with open(os.path.join(ROOT, "Package.swift"), encoding="utf-8") as f:
        m = re.search(r'Package\(\s*name:\s*"([^"]+)"', f.read())
    return m.group(1) if m else ""


def is_ours(path):
    """True for a file of this package outside the build folders."""
    path = os.path.normpath(path)
    if not path.startswith(ROOT + os.sep):
        return False
    relative = path[len(ROOT) + 1:]
    return not relative.startswith(".build")


def build_warnings(lines):
    """(ours, ignored): our warnings as sorted unique `place: message` strings, and the number of
    dependency warnings ignored."""
    ours, ignored = set(), set()
    name = package_name().lower()
    for i, line in enumerate(lines):
        line = line.rstrip("\n")
        m = PACKAGE_WARNING.match(line)
        if m:
            (ours if m.group("package").lower() == name else ignored).add(line)
            continue
        m = WARNING.match(line)
        if not m:
            continue
        where, message = m.group("where"), m.group("message")
        if where.startswith("macro expansion"):
            # The next lines name the file the macro was expanded in.
            for follow in lines[i + 1:i + 4]:
                o = ORIGIN.match(follow)
                if o:
                    where = o.group("where") + " (in " + where + ")"
                    break
        path = where.split(":", 1)[0]
        if path.startswith("/") and not is_ours(path):
            ignored.add(where + ": " + message)
        else:
            # Ours, or of unknown origin (a linker or toolchain warning): counted, to be safe.
            ours.add(where + ": " + message)
    return sorted(ours), len(ignored)


def report_warnings(ours, ignored):
    if ours:
        print(f"\n== {len(ours)} build warning(s) in this package (the build must be warnings-free):")
        for w in ours:
            print("  " + w)
    else:
        print(f"\n== build: no warnings in this package ({ignored} about dependencies ignored)")


def run_build():
    """Runs the build, passing its output through; returns (status, lines)."""
    cmd = [SWIFT, "build", "--build-tests"]
    print("$ " + " ".join(cmd), flush=True)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace", bufsize=1)
    lines = []
    for line in proc.stdout:
        sys.stdout.write(line)
        lines.append(line)
    sys.stdout.flush()
    return proc.wait(), lines


def location(record):
    loc = record.get("sourceLocation") or record.get("_sourceLocation") or {}
    return f"{loc.get('fileID', '?')}:{loc.get('line', '?')}"


def comment(event):
    comments = event.get("_comments") or []
    if comments:
        return " ".join(comments)
    for m in event.get("messages", []):
        text = m.get("text", "")
        if ": " in text:
            return text.split(": ", 1)[1].strip('"')
    return "(no reason given)"


MAX_ISSUES_SHOWN = 3
MAX_ISSUE_CHARS = 900


def issue_line(payload):
    """One recorded issue on one line: where, what failed, and the test's own details (newlines
    shown as ' | '), cut to MAX_ISSUE_CHARS."""
    def cut(text, n):
        text = text.replace("\n", " | ")
        return text if len(text) <= n else text[:n - 1] + "…"
    # The expression's expansion can be long (a whole snapshot): the test's own details come
    # after a short cut of it.
    parts = [cut(m["text"], 240 if m.get("symbol") != "details" else MAX_ISSUE_CHARS)
             for m in payload.get("messages", []) if m.get("text")]
    text = " — ".join(parts) or "(no message)"
    line = f"{location(payload.get('issue') or payload)}: {text}"
    return line if len(line) <= MAX_ISSUE_CHARS else line[:MAX_ISSUE_CHARS - 1] + "…"


def summarize(stream_path):
    """Prints the summary; returns False when the stream has no end-of-run event."""
    tests, outcome, skipped_cases, issues = {}, {}, [], {}
    ended = False
    with open(stream_path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            try:
                record = json.loads(raw)
            except json.JSONDecodeError:
                continue
            payload = record.get("payload", {})
            if record.get("kind") == "test":
                if payload.get("kind") == "function":
                    tests[payload["id"]] = payload
                continue
            kind = payload.get("kind")
            test_id = payload.get("testID")
            if kind == "runEnded":
                ended = True
            elif kind == "testSkipped" and test_id in tests:
                outcome[test_id] = ("skipped", comment(payload))
            elif kind == "testCancelled" and test_id in tests:
                outcome[test_id] = ("skipped", comment(payload))
            elif kind == "testCaseCancelled" and test_id in tests and payload.get("_testCase"):
                case = payload["_testCase"].get("displayName", "?")
                skipped_cases.append((test_id, case, comment(payload)))
            elif kind == "issueRecorded" and test_id in tests:
                issues.setdefault(test_id, []).append(payload)
            elif kind == "testEnded" and test_id in tests and test_id not in outcome:
                symbols = {m.get("symbol") for m in payload.get("messages", [])}
                outcome[test_id] = ("failed", "") if "fail" in symbols else ("passed", "")
    counts = {"passed": 0, "skipped": 0, "failed": 0}
    for test_id in tests:
        state = outcome.get(test_id, ("not run", ""))[0]
        counts[state] = counts.get(state, 0) + 1
    not_run = counts.get("not run", 0)
    print(f"\n== tests: {counts['passed']} passed, {counts['skipped']} skipped, {counts['failed']} failed"
          + (f", {not_run} not run" if not_run else "") + f" (of {len(tests)})")
    skipped = sorted((location(tests[t]), tests[t].get("displayName") or tests[t]["name"], why)
                     for t, (state, why) in outcome.items() if state == "skipped")
    if skipped:
        print(f"   skipped ({len(skipped)}):")
        for where, name, why in skipped:
            print(f"   - {where} \"{name}\": {why}")
    if skipped_cases:
        # A parameterised test whose other cases ran counts as passed above.
        print(f"   skipped cases of parameterised tests ({len(skipped_cases)}):")
        for test_id, case, why in sorted(skipped_cases):
            t = tests[test_id]
            print(f"   - {location(t)} \"{t.get('displayName') or t['name']}\" [{case}]: {why}")
    failed = sorted((location(tests[t]), tests[t].get("displayName") or tests[t]["name"], t)
                    for t, (state, _) in outcome.items() if state == "failed")
    if failed:
        print(f"   failed ({len(failed)}):")
        for where, name, test_id in failed:
            print(f"   - {where} \"{name}\"")
        # What each failed test recorded, one line per issue (at most a few per test), last, so
        # that a CI log showing only its end still says what went wrong.
        print("   what they recorded:")
        for where, name, test_id in failed:
            recorded = issues.get(test_id, [])
            for payload in recorded[:MAX_ISSUES_SHOWN]:
                print("   - " + issue_line(payload))
            if len(recorded) > MAX_ISSUES_SHOWN:
                print(f"   - ... and {len(recorded) - MAX_ISSUES_SHOWN} more in {where}")
    if not ended:
        print("   the test run ended without Swift Testing's end-of-run event (did the process crash?)")
    return ended


def main(argv):
    global ROOT
    if argv[:1] == ["--check-build-log"]:
        if len(argv) not in (2, 3):
            print("usage: run-tests.py --check-build-log FILE [PACKAGE_ROOT]", file=sys.stderr)
            return 2
        if len(argv) == 3:
            ROOT = os.path.abspath(argv[2])
        with open(argv[1], encoding="utf-8", errors="replace") as f:
            ours, ignored = build_warnings(f.readlines())
        report_warnings(ours, ignored)
        return 1 if ours else 0
    if argv[:1] == ["--"]:
        argv = argv[1:]

    status, lines = run_build()
    if status != 0:
        print(f"\n== build failed (exit {status})")
        return status
    ours, ignored = build_warnings(lines)

    # Without a filter, three passes in two rounds. The in-process server tests run apart from
    # the rest: they serve HTTP on Swift's cooperative threads (one per core) inside the test
    # process; other tests block those threads for minutes (recipe runs waiting on winnow
    # subprocesses), and in one process the servers' sockets then time out (`winnow serve` itself
    # runs model work on threads of its own: docs/server.md, "Load"). The Slurm executor tests
    # spend their minutes waiting for the scheduler to start jobs, so they run beside the server
    # tests, in a process of their own whose output is shown when it ends.
    if argv:
        rounds = [[argv]]
    else:
        rounds = [[["--filter", "WinnowServerTests"], ["--filter", "SlurmExecutorTests"]],
                  [["--skip", "WinnowServerTests", "--skip", "SlurmExecutorTests"]]]
    folder = tempfile.mkdtemp(prefix="winnow-test-events-")
    try:
        status = 0
        merged = os.path.join(folder, "events.jsonl")
        ended = True
        n = 0
        with open(merged, "wb") as out:
            for passes in rounds:
                running = []
                for k, extra in enumerate(passes):
                    stream = os.path.join(folder, f"events-{n}.jsonl")
                    n += 1
                    cmd = [SWIFT, "test", "--skip-build", "--disable-xctest",
                           "--event-stream-output-path", stream, "--event-stream-version", "0"] + extra
                    print("$ " + " ".join(cmd) + (" (beside the pass above; output when it ends)" if k else ""), flush=True)
                    log = None
                    if k:
                        log = open(os.path.join(folder, f"output-{n}.txt"), "w+b")
                    running.append((subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=log), stream, log, cmd))
                for proc, stream, log, cmd in running:
                    status = proc.wait() or status
                    if log is not None:
                        log.seek(0)
                        print("\n== output of: " + " ".join(cmd), flush=True)
                        sys.stdout.buffer.write(log.read())
                        sys.stdout.flush()
                        log.close()
                    if os.path.exists(stream):
                        with open(stream, "rb") as f:
                            shutil.copyfileobj(f, out)
                        with open(stream, encoding="utf-8", errors="replace") as f:
                            ended = ended and any('"runEnded"' in line for line in f)
                    else:
                        ended = False
        ended = summarize(merged) and ended
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report_warnings(ours, ignored)
    if status != 0:
        return status
    if not ended:
        return 1
    return 1 if ours else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
