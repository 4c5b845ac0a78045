"""Measures lywatch's save-to-visible latency warm and cold, side by side.

    python3 driver.py WORK WARM_PORT COLD_PORT N BUILDS

WORK holds two copies of the example PDK (warm/, cold/), each watched by a
lywatch (--json reports in WORK/MODE.json) pushing into its own KLayout. Each
round edits a factory of one copy, then of the other, and polls that KLayout's
lywatch server every millisecond until its load counter moves; the time is
split with lywatch's report of the cycle (plan, build, read, save, push) and
KLayout's own load time, the rest being the watcher (event and debounce).
Then it edits the warm copy BUILDS times more and reads the warm worker's
resident memory (VmRSS) from /proc.
"""

import json
import os
import re
import socket
import statistics
import sys
import time

work, warm_port, cold_port, n, builds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
FACTORY = os.path.join("mypdk", "components", "mmi.py")


class Server:
    """A client of the lywatch server in one KLayout."""

    def __init__(self, port):
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


def wait(cond, what, timeout=120, every=0.001):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(every)
    raise SystemExit("timed out waiting for " + what)


def reports(mode):
    out = []
    with open(os.path.join(work, mode + ".json"), encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


class Copy:
    """One copy of the PDK, its lywatch and its KLayout."""

    def __init__(self, mode, port):
        self.mode, self.dir, self.srv = mode, os.path.join(work, mode), Server(port)
        self.path = os.path.join(self.dir, FACTORY)
        self.src = open(self.path).read()
        self.edits = 0
        self.seen = 0  # reports read

    def edit(self):
        """Writes a new default width into the factory; returns the time of the write."""
        self.edits += 1
        width = "%.3f" % (2.0 + (self.edits % 500) / 1000.0 + 0.001)
        text = re.sub(r"width_mmi: float = [\d.]+", "width_mmi: float = " + width, self.src)
        t0 = time.time()
        with open(self.path, "w") as f:
            f.write(text)
        return t0

    def report(self):
        """The next report of a good build."""

        def find():
            rs = reports(self.mode)
            while self.seen < len(rs):
                r = rs[self.seen]
                self.seen += 1
                if r.get("status") == "ok" and r.get("builds"):
                    return r
            return None

        return wait(find, self.mode + "'s report", every=0.005)

    def round(self):
        """One edit, waited for until KLayout shows it; the breakdown in ms."""
        before = self.srv.status()["loads"]
        t0 = self.edit()
        st = wait(lambda: (lambda s: s if s["loads"] > before else None)(self.srv.status()), self.mode + "'s push")
        total = (time.time() - t0) * 1000
        r = self.report()
        b = r["builds"][0]
        stages = {s["name"]: s["duration_ms"] for s in b.get("stages") or []}
        row = {"plan": r.get("plan_ms", 0.0), "build": b["duration_ms"], "read": stages.get("read", 0.0),
               "save": stages.get("save", 0.0), "push": stages.get("push", 0.0), "klayout load": st["last_load"]["load_ms"]}
        row["watch (event, debounce)"] = total - row["plan"] - row["build"] - row["read"] - row["push"]
        row["total"] = total
        return row


def worker_pid(d):
    """The warm worker's pid: the process whose command runs lywatch's driver, in d."""
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            cmd = open("/proc/%s/cmdline" % p, "rb").read()
            if b"lywatch-warm-" in cmd and b"__lywatch_guard" not in cmd and os.readlink("/proc/%s/cwd" % p) == d:
                return int(p)
        except OSError:
            pass
    return None


def rss_mb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return 0.0


warm, cold = Copy("warm", warm_port), Copy("cold", cold_port)
for c in (warm, cold):
    wait(lambda: c.srv.status().get("loads", 0) >= 1, "the first build of " + c.mode)
    c.report()
rows = {"warm": [], "cold": []}
for i in range(n):
    for c in (warm, cold) if i % 2 == 0 else (cold, warm):
        row = c.round()
        rows[c.mode].append(row)
        print("%s edit %d: %s" % (c.mode, i + 1, "  ".join("%s %.1f" % kv for kv in row.items())), flush=True)
        time.sleep(0.2)

keys = list(rows["warm"][0])
print("\nsave-to-visible on the example PDK, %d edits of a factory each, alternating (ms):" % n)
print("%-24s %26s   %26s" % ("", "warm: median (min-max)", "cold: median (min-max)"))
for k in keys:
    cells = []
    for mode in ("warm", "cold"):
        v = [r[k] for r in rows[mode]]
        cells.append("%8.1f (%6.1f-%7.1f)" % (statistics.median(v), min(v), max(v)))
    print("%-24s %26s   %26s" % (k, cells[0], cells[1]))
print("(total = from the write of the file to KLayout's load counter moving; push is")
print(" lywatch's client round trip, which holds klayout load; save runs beside push.)")

pid = worker_pid(warm.dir)
if pid is None:
    raise SystemExit("no warm worker found")
print("\nthe warm worker (pid %d) over %d more builds, resident memory (VmRSS, MB):" % (pid, builds))
samples = [(warm.edits + 1, rss_mb(pid))]
for i in range(1, builds + 1):
    warm.edit()
    warm.report()
    if i in (1, 10, 25, 50, 75, builds):
        samples.append((warm.edits + 1, rss_mb(pid)))
if worker_pid(warm.dir) != pid:
    print("(the worker was replaced during the builds)")
print("  ".join("after %d builds: %.1f" % s for s in samples))
