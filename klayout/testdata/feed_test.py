"""Checks the server macro's per-connection buffering with plain Python:
pya is stubbed, the macro loaded as a module, and requests fed in every
chunking. Run by TestServerBufferingInPython: python3 feed_test.py server.py"""

import json
import sys

import pyastub  # beside this file

srv = pyastub.load_server(sys.argv[1])
srv.MAX_LINE = 200


class Sock:
    def __init__(self):
        self.out = b""
        self.closed = False

    def write(self, b):
        self.out += b

    def flush(self):
        pass

    def disconnectFromHost(self):
        self.closed = True


TOKEN = "t" * 64


class Settings:
    lyipc = True
    klive = True
    max_payload = 50


def _scratch():
    """One folder for every FakeServer of the run, removed at its end."""
    import atexit
    import shutil
    import tempfile
    d = tempfile.mkdtemp(prefix="lywatch-feed-test-")
    atexit.register(shutil.rmtree, d, True)
    return d


SCRATCH = _scratch()


class FakeServer:
    def __init__(self, lyipc=True):
        self.spool_dir = SCRATCH
        self.guard = srv.Guard(TOKEN, [], SCRATCH)
        self.settings = Settings()
        self.settings.lyipc = lyipc

    def dispatch(self, req, payload=None):
        if req.get("cmd") == "boom":
            raise ValueError("boom")
        if payload is not None:
            with open(payload, "rb") as f:
                return {"echo": req.get("cmd"), "payload": f.read().decode()}
        return {"echo": req.get("cmd")}

    def text_command(self, line):
        if line == "ping":
            return "pong"
        raise ValueError("unknown command: " + line)


def run(data, chunk, server=None):
    sock = Sock()
    conn = srv.Connection(server or FakeServer(), sock)
    for i in range(0, len(data), chunk):
        conn.feed(data[i:i + chunk])
    return sock


def replies(sock):
    return [json.loads(l) for l in sock.out.decode().splitlines()]


T = b', "token": "' + TOKEN.encode() + b'"}'
json_in = (b'{"id": 1, "cmd": "a"' + T + b'\n'
           b'  \n'
           b'{garbage\n'
           b'{"cmd": "' + b"x" * 300 + b'"}\n'
           b'{"id": 2, "cmd": "boom"' + T + b'\r\n'
           b'[1]\n'
           b'{"id": 3, "cmd": "b"' + T + b'\n'
           b'{"id": 5, "cmd": "b"}\n'
           b'{"id": 6, "cmd": "b", "token": "wrong"}\n'
           b'{"id": 4, "cmd": "partial"')
want = [(1, True), (None, False), (None, False), (2, False), (None, False), (3, True), (5, False), (6, False)]
for chunk in (1, 2, 3, 7, 64, 65, 1000):
    got = [(r["id"], r["ok"]) for r in replies(run(json_in, chunk))]
    assert got == want, (chunk, got)
    r = replies(run(json_in, chunk))
    assert r[0]["result"] == {"echo": "a"} and "boom" in r[3]["error"], r
    assert r[6]["code"] == "unauthorized" and r[7]["code"] == "unauthorized", r

for chunk in (1, 5, 100):
    s = run(b"ping\r\nping\r\n", chunk)
    assert s.out == b"ACK pong\r\n" and s.closed, (chunk, s.out)
    s = run(b"\x00\xff\x01\n", chunk)
    assert s.out.startswith(b"ERR ") and s.closed, (chunk, s.out)
    s = run(b"y" * 300 + b"\n", chunk)
    assert s.out.startswith(b"ERR request longer"), (chunk, s.out)

# Payloads: the bytes after a line go to the request, in any chunking; a
# refused or over-long payload is dropped and the connection goes on; a
# payload without a size ends the connection (its end cannot be found).
pay = (b'{"id": 1, "cmd": "p", "payload": {"size": 5}' + T + b'\nab\ncd'
       b'{"id": 2, "cmd": "p", "payload": {"size": 4}}\nwxyz'
       b'{"id": 3, "cmd": "p", "payload": {"size": 60}' + T + b'\n' + b"z" * 60 +
       b'{"id": 4, "cmd": "q"' + T + b'\n'
       b'{"id": 5, "cmd": "p", "payload": {"size": -1}' + T + b'\n{"id": 6, "cmd": "q"' + T + b'\n')
for chunk in (1, 2, 3, 7, 64, 1000):
    s = run(pay, chunk)
    r = replies(s)
    got = [(x["id"], x["ok"], x.get("code")) for x in r]
    assert got == [(1, True, None), (2, False, "unauthorized"), (3, False, "too_large"), (4, True, None), (5, False, "bad_request")], (chunk, got)
    assert r[0]["result"]["payload"] == "ab\ncd", r[0]
    assert s.closed, "a payload without a size must end the connection"

# Random requests in random pieces (a fixed seed, so a failure repeats):
# the connection never raises, and every reply is a JSON line or ACK/ERR.
import random
rng = random.Random(12)
parts = [b'{"id": 1, "cmd": "a"', T, b'}', b'\n', b'\r\n', b'{', b'"payload": {"size": 3}', b', ', b'"payload": 7',
         b'"payload": {"size": 1e9}', b'"token": 5', b'xyz', b'\xff\xfe', b' ', b'[', b'"', b'{"gds": "/x"}', b'ping',
         b'"id": [1]', b'"cmd": null', b'\x00']
for _ in range(3000):
    data = b"".join(rng.choice(parts) for _ in range(rng.randint(1, 12)))
    if rng.random() < 0.2:
        data = bytes(rng.randrange(256) for _ in range(rng.randint(1, 40)))
    sock = Sock()
    conn = srv.Connection(FakeServer(lyipc=rng.random() < 0.5), sock)
    i = 0
    while i < len(data):
        n = rng.randint(1, 9)
        conn.feed(data[i:i + n])
        i += n
    for line in sock.out.split(b"\n"):
        line = line.strip()
        if not line:
            continue
        if line.startswith(b"ACK") or line.startswith(b"ERR"):
            continue
        rep = json.loads(line)
        assert isinstance(rep, dict) and (isinstance(rep.get("ok"), bool) or "version" in rep), (data, line)

# The token file: made 0600 on first use, the same token after; refused
# when others can read it.
import os
import stat
import tempfile
d = tempfile.mkdtemp()
path = os.path.join(d, "lywatch", "token")
tok = srv.load_token(path)
assert len(tok) == 64 and stat.S_IMODE(os.stat(path).st_mode) == 0o600, oct(os.stat(path).st_mode)
assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
assert srv.load_token(path) == tok
os.chmod(path, 0o644)
try:
    srv.load_token(path)
    raise AssertionError("a world-readable token file was used")
except RuntimeError as exc:
    assert "chmod 600" in str(exc), exc

s = run(b"ping\r\n", 1, FakeServer(lyipc=False))
assert s.out.startswith(b"ERR ") and b"lyipc compatibility is off" in s.out and s.closed, s.out
print("ok")
