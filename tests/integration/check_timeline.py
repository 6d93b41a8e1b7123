#!/usr/bin/env python3
"""Checks a kiln Chrome Trace Event JSON timeline against the folded stacks of the same capture.

    check_timeline.py TRACE.json FOLDED_WITH_TID [PERFETTO_TEXT]

FOLDED_WITH_TID is `kiln collapse --tid` output ("comm-pid/tid;root;...;leaf count"). Checks:
the JSON parses and has the Trace Event structure; every thread's B/E events nest (each E ends
the innermost open slice, same name) and all are closed; process_name/thread_name metadata name
every thread; and per thread, the stacks open right after each instant are exactly the thread's
sampled stacks. With PERFETTO_TEXT (`protoc --decode` output of the .perfetto-trace), the Perfetto
trace must hold the same threads and the same number of slices. Prints a summary; exits 1 with a
reason on the first mismatch.
"""
import collections
import json
import re
import sys


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def load_folded(path):
    stacks = collections.defaultdict(set)
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if not line:
            continue
        stack, _count = line.rsplit(" ", 1)
        frames = stack.split(";")
        m = re.search(r"-(\?|\d+)/(\d+)$", frames[0])
        if not m:
            fail("folded line without comm-pid/tid: " + line)
        stacks[int(m.group(2))].add(";".join(frames[1:]))
    return stacks


def main():
    trace = json.load(open(sys.argv[1], encoding="utf-8"))
    folded = load_folded(sys.argv[2])
    if not isinstance(trace.get("traceEvents"), list):
        fail("no traceEvents list")
    events = trace["traceEvents"]
    for e in events:
        for key in ("ph", "pid", "tid", "name"):
            if key not in e:
                fail("event without %s: %r" % (key, e))
        if e["ph"] not in ("B", "E", "M"):
            fail("unexpected phase %r" % e["ph"])
        if e["ph"] != "M" and not isinstance(e.get("ts"), (int, float)):
            fail("B/E event without a numeric ts: %r" % e)
    pnames = {e["pid"]: e["args"]["name"] for e in events
              if e["ph"] == "M" and e["name"] == "process_name"}
    tnames = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
              if e["ph"] == "M" and e["name"] == "thread_name"}

    by_thread = collections.defaultdict(list)
    for e in events:
        if e["ph"] in "BE":
            by_thread[(e["pid"], e["tid"])].append(e)
    slices = 0
    for key, evs in by_thread.items():
        if key not in tnames or key[0] not in pnames:
            fail("thread %r has slices but no thread_name/process_name" % (key,))
        stack, seen, last_ts = [], set(), None
        for i, e in enumerate(evs):
            if last_ts is not None and e["ts"] < last_ts:
                fail("thread %r: ts goes back at %r" % (key, e))
            last_ts = e["ts"]
            if e["ph"] == "B":
                stack.append(e["name"])
                slices += 1
            else:
                if not stack or stack[-1] != e["name"]:
                    fail("thread %r: E %r does not end the innermost slice %r" %
                         (key, e["name"], stack[-1:] or None))
                stack.pop()
            # An instant ends where the next event is later (begins may come 1 ns after ends).
            nxt = evs[i + 1]["ts"] if i + 1 < len(evs) else None
            if stack and (nxt is None or nxt - e["ts"] > 0.0011):
                seen.add(";".join(stack))
        if stack:
            fail("thread %r: slices left open: %r" % (key, stack))
        want = folded.get(key[1], set())
        if seen != want:
            fail("thread %r: timeline stacks differ from the folded ones:\n  only in timeline: %r"
                 "\n  only in folded: %r" % (key, sorted(seen - want)[:3], sorted(want - seen)[:3]))
    if set(folded) != {k[1] for k in by_thread}:
        fail("threads differ: folded %r, timeline %r" %
             (sorted(folded), sorted(k[1] for k in by_thread)))
    print("%d threads, %d slices, stacks match the folded ones" % (len(by_thread), slices))

    if len(sys.argv) > 3:
        text = open(sys.argv[3], encoding="utf-8", errors="replace").read()
        begins = text.count("type: TYPE_SLICE_BEGIN")
        ends = text.count("type: TYPE_SLICE_END")
        threads = len(re.findall(r"\bthread \{", text))
        procs = len(re.findall(r"\bprocess \{", text))
        if begins != slices or ends != slices:
            fail("perfetto: %d begins, %d ends; JSON has %d slices" % (begins, ends, slices))
        if threads != len(by_thread) or procs != len(pnames):
            fail("perfetto: %d thread and %d process tracks; JSON has %d and %d" %
                 (threads, procs, len(by_thread), len(pnames)))
        for name in set(tnames.values()):
            if 'thread_name: %s' % json.dumps(name) not in text:
                fail("perfetto: no thread named %r" % name)
        print("perfetto: %d process and %d thread tracks, %d slices" % (procs, threads, begins))


main()
