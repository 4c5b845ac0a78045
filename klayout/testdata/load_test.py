"""Checks the server macro's load command with plain Python: pya is stubbed,
the macro loaded as a module, and Server.dispatch given good requests,
a table of malformed ones and random ones, with a stand-in Viewer. A
malformed request is an error with a code and never reaches the Viewer;
whatever reaches it is well-typed. Run by TestLoadArgumentsInPython:
python3 load_test.py server.py"""

import atexit
import gzip
import hashlib
import os
import random
import shutil
import sys
import tempfile

import pyastub  # beside this file

srv = pyastub.load_server(sys.argv[1])

TMP = tempfile.mkdtemp(prefix="lywatch-load-test-")
atexit.register(shutil.rmtree, TMP, True)
ROOT = os.path.join(TMP, "project")
SPOOL = os.path.join(TMP, "spool")
os.makedirs(ROOT)
os.makedirs(SPOOL)
LAYOUT = os.path.join(ROOT, "chip.gds")
with open(LAYOUT, "wb") as f:
    f.write(b"GDS of chip")
LYRDB = os.path.join(ROOT, "diff.lyrdb")
with open(LYRDB, "w") as f:
    f.write("<report-database/>")
OUTSIDE = os.path.join(TMP, "outside.gds")
with open(OUTSIDE, "wb") as f:
    f.write(b"not yours")


class Viewer:
    """Records what reaches KLayout and checks its types."""

    def __init__(self):
        self.calls = []
        self.partial_ok = True

    def load(self, path, mode="reload", force=False, extra=None):
        assert isinstance(path, str) and os.path.isabs(path), path
        assert mode in ("reload", "new", "replace", "add") and isinstance(force, bool), (mode, force)
        extra = extra or {}
        assert set(extra) <= {"factories", "layer_properties", "activate"}, extra
        f = extra.get("factories", {})
        assert isinstance(f, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in f.items()), f
        assert isinstance(extra.get("layer_properties", ""), str) and extra.get("activate", True) is True, extra
        self.calls.append(("load", path, mode, force))
        return {"type": "reload", "file": path, "state": "s1"}

    def apply_partial(self, path, part, p):
        assert isinstance(path, str) and os.path.isfile(part), (path, part)
        assert isinstance(p["base"], str) and p["base"], p
        assert isinstance(p["removed"], list) and all(isinstance(n, str) for n in p["removed"]), p
        assert isinstance(p["cells"], int) and not isinstance(p["cells"], bool) and 0 <= p["cells"] <= 1 << 40, p
        assert isinstance(p["dbu"], float) and p["dbu"] > 0 and isinstance(p["force"], bool), p
        self.calls.append(("partial", path, p["base"]))
        if not self.partial_ok:
            return None, "another layout"
        return {"type": "incremental", "file": path, "state": "s2"}, ""

    def activate(self, path):
        self.calls.append(("activate", path))

    def show_rdb(self, path):
        assert path == LYRDB, path
        self.calls.append(("rdb", path))
        return {"index": 0}


class Settings:
    max_layout = 1000


def server():
    s = srv.Server.__new__(srv.Server)
    s.settings = Settings()
    s.spool_dir = SPOOL
    s.guard = srv.Guard("t" * 64, [ROOT], os.path.join(TMP, "images"))
    s.viewer = Viewer()
    s.instance = "i1"
    return s


def payload(raw, mangle=None):
    """A payload file holding raw gzip-compressed, and its description."""
    fd, path = tempfile.mkstemp(dir=TMP)
    data = gzip.compress(raw)
    if mangle == "truncated":
        data = data[: len(data) // 2]
    elif mangle == "garbage":
        data = b"\x00not gzip at all" * 3
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path, {"size": len(data), "sha256": hashlib.sha256(raw).hexdigest(), "encoding": "gzip", "kind": "full"}


def run(req, body=None):
    """Dispatches a load; returns (result or None, error code or None, the
    Viewer's calls)."""
    s = server()
    req = dict(req, cmd="load")
    try:
        res = s.dispatch(req, body)
    except srv.RequestError as exc:
        return None, exc.code, s.viewer.calls
    return res, None, s.viewer.calls


GOOD_PARTIAL = {"path": LAYOUT, "base": "s1", "removed": ["old_A"], "cells": 3, "dbu": 1e-9}

# Good requests reach the Viewer with their fields.
res, code, calls = run({"path": LAYOUT})
assert code is None and calls == [("load", LAYOUT, "reload", False)] and res["instance"] == "i1", (res, code, calls)
res, code, calls = run({"path": LAYOUT, "mode": "new", "force": True, "factories": {"a_1": "a"}, "lyrdb": LYRDB})
assert code is None and calls == [("load", LAYOUT, "new", True), ("rdb", LYRDB)], (code, calls)
body, info = payload(b"GDS sent")
res, code, calls = run({"path": "C:\\Users\\me\\chip.gds", "payload": info}, body)
assert code is None and calls[0][0] == "load" and res["source"] == "C:\\Users\\me\\chip.gds", (res, code, calls)
with open(calls[0][1], "rb") as f:
    assert f.read() == b"GDS sent"
body, info = payload(b"cells")
res, code, calls = run(dict(GOOD_PARTIAL, payload=dict(info, kind="partial")), body)
assert code is None and calls == [("partial", LAYOUT, "s1")] and res["type"] == "incremental", (res, code, calls)

# Malformed requests: an error with its code, and KLayout untouched.
big = b"x" * 5000
cases = [
    ({"path": 5}, "not_allowed"),
    ({}, "not_allowed"),
    ({"path": ""}, "not_allowed"),
    ({"path": ["a"]}, "not_allowed"),
    ({"path": LAYOUT + "\0x"}, "not_allowed"),
    ({"path": OUTSIDE}, "not_allowed"),
    ({"path": LAYOUT, "mode": 5}, "bad_request"),
    ({"path": LAYOUT, "mode": "sideways"}, "bad_request"),
    ({"path": LAYOUT, "force": "yes"}, "bad_request"),
    ({"path": LAYOUT, "force": 1}, "bad_request"),
    ({"path": LAYOUT, "activate": "no"}, "bad_request"),
    ({"path": LAYOUT, "copy": True}, "bad_request"),
    ({"path": LAYOUT, "factories": ["a", "b"]}, "bad_request"),
    ({"path": LAYOUT, "factories": "mmi"}, "bad_request"),
    ({"path": LAYOUT, "factories": {"a_1": 5}}, "bad_request"),
    ({"path": LAYOUT, "factories": {"a_1": None}}, "bad_request"),
    ({"path": LAYOUT, "layer_properties": 5}, "bad_request"),
    ({"path": LAYOUT, "layer_properties": ["<x/>"]}, "bad_request"),
    ({"path": LAYOUT, "layer_properties": "x" * (srv.MAX_LINE + 1)}, "bad_request"),
    ({"path": LAYOUT, "lyrdb": 5}, "bad_request"),
    ({"path": LAYOUT, "lyrdb": OUTSIDE}, "not_allowed"),
    ({"path": LAYOUT, "payload": "x"}, "bad_request"),
    ({"path": LAYOUT, "payload": {"size": 0, "sha256": "0" * 64}}, "bad_request"),
]
for mangle, fields, want in [
    (None, {"sha256": 5}, "bad_request"),
    (None, {"sha256": "ab"}, "bad_request"),
    (None, {"sha256": "zz" * 32}, "bad_request"),
    (None, {"sha256": "0" * 64}, "bad_payload"),
    (None, {"encoding": "bzip2"}, "bad_request"),
    (None, {"kind": "diff"}, "bad_request"),
    (None, {"kind": 5}, "bad_request"),
    ("truncated", {}, "bad_payload"),
    ("garbage", {}, "bad_payload"),
]:
    cases.append(({"path": LAYOUT, "payload": fields, "_body": (b"GDS", mangle)}, want))
cases.append(({"path": LAYOUT, "payload": {}, "_body": (big, None)}, "too_large"))  # over max_layout once unpacked
cases.append(({"path": 5, "payload": {}, "_body": (b"GDS", None)}, "bad_request"))
for fields, want in [
    ({"removed": "old_A"}, "bad_request"),
    ({"removed": [1]}, "bad_request"),
    ({"removed": [None]}, "bad_request"),
    ({"removed": {"a": 1}}, "bad_request"),
    ({"removed": ["c%d" % i for i in range(100000)] + [7]}, "bad_request"),
    ({"base": 5}, "bad_request"),
    ({"base": ""}, "bad_request"),
    ({"base": None}, "bad_request"),
    ({"cells": "3"}, "bad_request"),
    ({"cells": -1}, "bad_request"),
    ({"cells": 1 << 41}, "bad_request"),
    ({"cells": True}, "bad_request"),
    ({"cells": 3.5}, "bad_request"),
    ({"dbu": "x"}, "bad_request"),
    ({"dbu": float("nan")}, "bad_request"),
    ({"dbu": float("inf")}, "bad_request"),
    ({"dbu": 0}, "bad_request"),
    ({"dbu": -1e-9}, "bad_request"),
    ({"copy": "yes"}, "bad_request"),
    ({"path": OUTSIDE}, "not_allowed"),
]:
    cases.append((dict(GOOD_PARTIAL, payload={"kind": "partial"}, _body=(b"GDS", None), **fields), want))

for req, want in cases:
    body = None
    if "_body" in req:
        raw, mangle = req.pop("_body")
        body, info = payload(raw, mangle)
        req["payload"] = dict(info, **req["payload"])
    res, code, calls = run(req, body)
    shown = {k: (v if len(repr(v)) < 80 else "...") for k, v in req.items()}
    assert code == want, "%s: code %s, want %s" % (shown, code, want)
    assert not [c for c in calls if c[0] != "rdb"], "%s reached KLayout: %s" % (shown, calls)

# A partial push against another layout: the path's file is reloaded, or,
# for a copy, the client is told to send the whole layout.
s = server()
s.viewer.partial_ok = False
body, info = payload(b"cells")
res = s.dispatch(dict(GOOD_PARTIAL, cmd="load", payload=dict(info, kind="partial")), body)
assert res["fallback"] == "another layout" and s.viewer.calls[-1][0] == "load", (res, s.viewer.calls)
body, info = payload(b"cells")
try:
    s.dispatch(dict(GOOD_PARTIAL, cmd="load", copy=True, payload=dict(info, kind="partial")), body)
    raise AssertionError("a copy's mismatch was not refused")
except srv.RequestError as exc:
    assert exc.code == "mismatch", exc.code

# Random requests (a fixed seed, so a failure repeats): each is a result
# or an error with a code, never another exception; the Viewer's own
# checks hold for whatever reaches it.
rng = random.Random(12)
good = {
    "path": [LAYOUT], "mode": ["reload", "new", "replace", "add"], "force": [True, False], "activate": [True, False],
    "copy": [False], "factories": [{}, {"a_1": "a"}], "layer_properties": ["<layer-properties/>"], "lyrdb": [LYRDB],
    "removed": [[], ["a"]], "base": ["s1"], "cells": [3], "dbu": [1e-9], "sha256": ["OK"], "encoding": ["gzip"],
    "kind": ["full", "partial"],
}
bad = {
    "path": [OUTSIDE, "", 5, None, [LAYOUT], {"a": 1}, "relative.gds", LAYOUT + "\0", "/", "C:\\x.gds"],
    "mode": ["", None, 0, "RELOAD", ["new"]],
    "force": [None, 1, "true", []],
    "activate": [None, 0, "x"],
    "copy": [True, None, "1"],
    "factories": [None, {"a": 1}, [], "x", {"a": {"b": "c"}}],
    "layer_properties": [None, "", 5, ["x"], "\0"],
    "lyrdb": [None, "", OUTSIDE, 7, "/nonexistent.lyrdb"],
    "removed": [None, "a", [1], [None], [["a"]], {"a": 1}, ["a"] * 1000],
    "base": [None, "", 5, ["s1"]],
    "cells": [None, 0, -1, 1 << 41, "3", 3.0, True, [3]],
    "dbu": [None, 0.001, 0, -1, "x", float("nan"), float("inf"), True, [1e-9]],
    "sha256": [None, 5, "", "ab", "zz" * 32, "0" * 64],
    "encoding": [None, "bzip2", 5],
    "kind": [None, "diff", 5, ""],
}


def pick(k):
    return rng.choice(good[k] if rng.random() < 0.85 else bad[k])


codes = {"bad_request", "not_allowed", "bad_payload", "too_large", "mismatch"}
results = {}
for i in range(3000):
    req = {k: pick(k) for k in good if k not in ("sha256", "encoding", "kind") and rng.random() < 0.7}
    body = None
    if rng.random() < 0.6:
        raw = rng.choice([b"GDS", b"GDS", b"x" * 5000, b""])
        body, info = payload(raw, rng.choice([None, None, None, "truncated", "garbage"]))
        for k in ("sha256", "encoding", "kind"):
            v = pick(k)
            if v == "OK":
                continue
            if v is None:
                info.pop(k, None)
            else:
                info[k] = v
        req["payload"] = info
    s = server()
    s.viewer.partial_ok = rng.random() < 0.5
    try:
        res = s.dispatch(dict(req, cmd="load"), body)
        assert isinstance(res, dict) and res.get("instance") == "i1", res
        results["ok"] = results.get("ok", 0) + 1
    except srv.RequestError as exc:
        assert exc.code in codes, (req, exc.code, exc)
        results[exc.code] = results.get(exc.code, 0) + 1
    finally:
        if body is not None and os.path.exists(body):
            os.remove(body)
# Every outcome came up, good loads too.
assert set(results) >= {"ok"} | codes, results
left = [n for n in os.listdir(SPOOL) if n.startswith("partial-") or n.startswith(".in-")]
assert not left, "temporary files left in the spool: %s" % left
print("ok")
