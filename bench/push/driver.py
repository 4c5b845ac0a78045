"""Measures lywatch's save-to-visible latency against a running KLayout.

    python3 driver.py PORT PDK_DIR LYWATCH_LOG N

Edits a factory of the example PDK N times; after each edit it asks the
lywatch server in KLayout for its status every 2 ms until the push has loaded
(the server's load counter moves), and splits the time with lywatch's summary
line (build, after-build hooks such as push) and the server's own load time.
"""

import json
import os
import re
import socket
import statistics
import sys
import time

port, pdk, log, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
target = os.path.join(pdk, "mypdk", "components", "mmi.py")
UNIT = {"µs": 1e-3, "ms": 1.0, "s": 1000.0}


class Server:
    def __init__(self):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.f = self.sock.makefile("rwb")
        self.id = 0

    def status(self):
        self.id += 1
        req = {"id": self.id, "cmd": "status", "token": os.environ["LYWATCH_TOKEN"]}
        self.f.write((json.dumps(req) + "\n").encode())
        self.f.flush()
        rep = json.loads(self.f.readline())
        if not rep.get("ok"):
            raise RuntimeError(rep)
        return rep["result"]


def wait(cond, what, timeout=120):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.002)
    raise SystemExit("timed out waiting for " + what)


def summaries():
    with open(log, encoding="utf-8", errors="replace") as f:
        return [l for l in f.read().splitlines() if " → build " in l]


def factory_ms():
    """The example PDK's own time for the cells, from its last "built" line."""
    with open(log, encoding="utf-8", errors="replace") as f:
        found = re.findall(r"built .*?, \d+ cells, ([\d.]+) ms", f.read())
    return float(found[-1]) if found else None


def parse(line):
    """Milliseconds per stage from a summary line."""
    out = {}
    m = re.search(r"→ build ([\d.]+) (µs|ms|s) ok", line)
    if m:
        out["build"] = float(m.group(1)) * UNIT[m.group(2)]
    for name, v, u in re.findall(r"→ ([A-Za-z][\w-]*) ([\d.]+) (µs|ms|s)", line):
        if name != "build":
            out[name] = float(v) * UNIT[u]
    return out


srv = Server()
wait(lambda: srv.status().get("loads", 0) >= 1, "the first build in KLayout")
src = open(target).read()
rows = []
for i in range(n):
    before = srv.status()["loads"]
    nsum = len(summaries())
    width = "2.%d" % (6 + i % 3)
    text = re.sub(r"width_mmi: float = [\d.]+", "width_mmi: float = " + width, src)
    if text == open(target).read():
        text = text.replace("width_mmi: float = " + width, "width_mmi: float = 2.5")
    t0 = time.time()
    with open(target, "w") as f:
        f.write(text)
    st = wait(lambda: (lambda s: s if s["loads"] > before else None)(srv.status()), "the push")
    total = (time.time() - t0) * 1000
    line = wait(lambda: (lambda s: s[nsum] if len(s) > nsum else None)(summaries()), "the summary line", 30)
    stages = parse(line)
    fm = factory_ms()
    if fm is not None and "build" in stages:
        rest = [(k, v) for k, v in stages.items() if k != "build"]
        stages = {"build": stages["build"], "  of which factories": fm}
        stages.update(rest)
    stages["klayout load"] = st["last_load"]["load_ms"]
    hooks = sum(v for k, v in stages.items() if k not in ("build", "klayout load", "  of which factories"))
    stages["watch (+debounce, rest)"] = total - stages.get("build", 0) - hooks
    stages["total"] = total
    rows.append(stages)
    print("edit %d: %s" % (i + 1, "  ".join("%s %.1f ms" % kv for kv in stages.items())), flush=True)
    time.sleep(0.3)

keys = []
for r in rows:
    for k in r:
        if k not in keys:
            keys.append(k)
print("\nsave-to-visible on the example PDK, %d edits (ms):" % n)
print("%-26s %9s %9s %9s" % ("stage", "median", "min", "max"))
for k in keys:
    vals = [r[k] for r in rows if k in r]
    print("%-26s %9.1f %9.1f %9.1f" % (k, statistics.median(vals), min(vals), max(vals)))
print("(build = the whole build command, mostly KLayout's batch start-up; of which")
print(" factories = the PDK's own time for the cells; push = lywatch's client round")
print(" trip, which includes klayout load; watch = the rest: event, debounce, planning)")
