# lywatch's warm worker driver (runner/warm_driver.py, embedded in lywatch).
#
# lywatch runs this file in the interpreter of a build it keeps warm: as
# "python3 [OPTIONS] DRIVER" for a "python3 [OPTIONS] SCRIPT ARGS" build, as
# "klayout -b ... -r DRIVER ..." for a "klayout -b ... -r SCRIPT ..." one (the
# -rd defines are then globals here, as they would be in SCRIPT). It talks
# with lywatch over the socket on the descriptor named in LYWATCH_WARM_FD, one
# JSON object a line:
#
#   lywatch: {"op": "init", "kind": "python" | "klayout", "script": PATH,
#             "module": NAME, "args": [...], "roots": [DIR, ...]}
#   driver:  {"op": "hello", "pid": PID, "version": "3.11.2"}
#   lywatch: {"op": "run", "id": N, "env": ["K=V", ...], "cwd": DIR,
#             "reload": [MODULE, ...], "files": [PATH, ...], "marker": TOKEN}
#   driver:  {"op": "done", "id": N, "exit": CODE, "stopped": BOOL}
#        or  {"op": "stale", "id": N, "why": TEXT}   (restart me, run nothing)
#
# Each run starts from the state a cold build starts from, as far as the
# project goes: every module of the project (a .py file under one of the
# roots, outside the interpreter's own directories) is gone from sys.modules,
# and the entry runs in a fresh __main__ with the build's argv, environment
# and working directory. Project modules are compiled from source, never from
# __pycache__ (nothing is written there either); the code of a module that
# neither lywatch names (reload, files) nor whose file's size or time changed
# is taken from memory. Third-party modules stay imported: a change to one of
# their files makes the run answer "stale", and lywatch starts a new worker.
# After a run, the lywatch_reset() the entry defined is called, the project's
# modules are dropped and the garbage is collected, while lywatch waits for
# the next edit. The end of a run's output is a line ending with the marker on
# stdout and on stderr, so that lywatch knows it has shown all of it.

_lywatch_base = dict(globals())


def _lywatch_worker(base):
    import gc
    import importlib
    import importlib.machinery
    import json
    import os
    import signal
    import site
    import socket
    import sys
    import traceback
    import types

    driver_file = base.get("__file__") or ""
    sock = socket.socket(fileno=int(os.environ.pop("LYWATCH_WARM_FD")))
    sock.set_inheritable(False)  # not for the processes a build starts
    rfile = sock.makefile("rb")

    def send(**msg):
        sock.sendall((json.dumps(msg) + "\n").encode())

    def receive():
        line = rfile.readline()
        if not line:
            os._exit(0)  # lywatch is gone
        return json.loads(line)

    init = receive()
    kind, script, module = init["kind"], init.get("script") or "", init.get("module") or ""
    args = list(init.get("args") or [])
    real = {}

    def realpath(p):
        r = real.get(p)
        if r is None:
            r = real[p] = os.path.realpath(p)
        return r

    roots = [realpath(r) for r in init.get("roots") or []]
    outside = set()
    for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix):
        outside.add(realpath(p))
    try:
        outside.update(realpath(p) for p in site.getsitepackages())
    except Exception:
        pass
    try:
        outside.add(realpath(site.getusersitepackages()))
    except Exception:
        pass

    def under(p, dirs):
        return any(p == d or p.startswith(d.rstrip(os.sep) + os.sep) for d in dirs)

    def is_project_file(path):
        if not path or not path.endswith(".py"):
            return False
        p = realpath(path)
        return under(p, roots) and not under(p, outside)

    # The loader's code carries importlib's file name, so that Python takes
    # its frames out of tracebacks (a syntax error in a module reads as it
    # does in a cold build).
    loader_source = """
class ProjectLoader(importlib.machinery.SourceFileLoader):
    \"\"\"Loads a project module from its source, or from the code kept in memory.\"\"\"

    def get_code(self, fullname):
        path = self.get_filename(fullname)
        st = os.stat(path)
        key = (st.st_mtime_ns, st.st_size)
        kept = state.code.get(path)
        if kept is not None and kept[0] == key and fullname not in state.reload and path not in state.files:
            return kept[1]
        code = self.source_to_code(self.get_data(path), path)
        state.code[path] = (key, code)
        return code

    def set_data(self, path, data, *, _mode=0o666):
        pass  # no __pycache__ in the project
"""
    loader_ns = {"importlib": importlib, "os": os}
    exec(compile(loader_source, "<frozen importlib._bootstrap_external>", "exec"), loader_ns)
    ProjectLoader = loader_ns["ProjectLoader"]

    class ProjectFinder:
        """Hands project modules to ProjectLoader; leaves the rest to the usual finders."""

        @staticmethod
        def find_spec(fullname, path=None, target=None):
            spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
            if spec is None or type(spec.loader) is not importlib.machinery.SourceFileLoader:
                return None
            if not is_project_file(spec.origin):
                return None
            spec.loader = ProjectLoader(fullname, spec.origin)
            return spec

        @staticmethod
        def invalidate_caches():
            pass

    class State:
        running = False  # SIGINT stops the run only while it runs
        reload = frozenset()
        files = frozenset()
        code = {}  # path -> ((mtime_ns, size), code object)
        watched = {}  # third-party file -> (mtime_ns, size), or None when missing
        reset = None  # the entry's lywatch_reset

    state = State()
    loader_ns["state"] = state

    def on_sigint(signum, frame):
        if state.running:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)
    sys.meta_path.insert(0, ProjectFinder)

    def is_project_module(mod):
        if isinstance(getattr(mod, "__loader__", None), ProjectLoader):
            return True
        f = getattr(mod, "__file__", None)
        if f:
            return is_project_file(f)
        paths = list(getattr(mod, "__path__", None) or [])  # a namespace package
        return bool(paths) and all(under(realpath(p), roots) and not under(realpath(p), outside) for p in paths)

    def stamp(path):
        try:
            st = os.stat(path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def watch_third_party():
        for mod in list(sys.modules.values()):
            f = getattr(mod, "__file__", None)
            if not f or f in state.watched or f == driver_file or is_project_module(mod):
                continue
            state.watched[f] = stamp(f)

    def stale():
        for f, was in state.watched.items():
            if stamp(f) != was:
                return f + (" changed" if os.path.exists(f) else " is gone") + " since it was imported"
        return ""

    pth = []
    for d in outside:
        try:
            pth.extend(os.path.join(d, n) for n in os.listdir(d) if n.endswith(".pth"))
        except OSError:
            pass
    for f in pth:
        state.watched[f] = stamp(f)

    base_path = list(sys.path)
    base_dwb = sys.dont_write_bytecode
    base_streams = (sys.stdout, sys.stderr)
    base_main = {k: v for k, v in base.items() if not k.startswith("_lywatch")}
    base_main["__file__"] = script
    base_main.pop("__cached__", None)
    driver_main = sys.modules.get("__main__")

    def prepare(msg):
        os.environ.clear()
        for kv in msg["env"]:
            k, _, v = kv.partition("=")
            os.environ[k] = v
        os.chdir(msg["cwd"])
        sys.path[:] = base_path
        sys.dont_write_bytecode = base_dwb
        if kind == "python":
            if module:
                sys.path[0] = os.getcwd()
            else:
                sys.path[0] = os.path.dirname(os.path.realpath(script))
                sys.argv[:] = [script] + args
        state.reload = frozenset(msg.get("reload") or ())
        state.files = frozenset(msg.get("files") or ())
        importlib.invalidate_caches()

    def entry():
        if module:
            import runpy

            sys.argv[:] = [module] + args
            runpy.run_module(module, run_name="__main__", alter_sys=True)
            return None
        main = types.ModuleType("__main__")
        main.__dict__.update(base_main)
        if kind == "python":
            path = os.path.abspath(script)
            main.__file__ = path
            main.__loader__ = importlib.machinery.SourceFileLoader("__main__", path)
            main.__cached__ = None
            main.__spec__ = None
            main.__package__ = None
            main.__annotations__ = {}
        else:
            path = script
        sys.modules["__main__"] = main
        with open(path, "rb") as f:
            source = f.read()
        code = compile(source, path, "exec", dont_inherit=True)
        exec(code, main.__dict__)
        return main.__dict__

    def exit_code(e):
        c = e.code
        if c is None:
            return 0
        if isinstance(c, int):
            return c & 0xFF if c >= 0 else c & 0xFF
        if kind == "klayout":
            return 0  # KLayout 0.28 exits 0 on sys.exit("text")
        print(c, file=sys.stderr)
        return 1

    def ours(filename):
        return filename in (driver_file, "<string>") or filename.startswith("<frozen importlib") or filename.endswith(("runpy.py", "<frozen runpy>"))

    def trim(te, seen):
        """Takes the driver's and importlib's frames out of a traceback, chained ones too."""
        if te is None or id(te) in seen:
            return
        seen.add(id(te))
        te.stack = traceback.StackSummary.from_list([f for f in te.stack if not ours(f.filename)])
        trim(te.__cause__, seen)
        trim(te.__context__, seen)

    def report(e):
        te = traceback.TracebackException(type(e), e, e.__traceback__)
        trim(te, set())
        if kind == "python":
            sys.stderr.write("".join(te.format()))
            return
        # As KLayout reports an error in a -r script: the message, then the
        # frames from the innermost out.
        if isinstance(e, SyntaxError):
            print("ERROR: %s:%s: %s" % (e.filename, e.lineno, e.msg), file=sys.stderr)
            return
        print("ERROR: %s" % klayout_message(e), file=sys.stderr)
        for fs in reversed(te.stack):
            print("  %s:%d" % (fs.filename, fs.lineno), file=sys.stderr)

    def klayout_message(e):
        """The message KLayout prints for an exception: its text, or its class's name."""
        if type(e) is KeyError and len(e.args) == 1 and not raised_by_code(e):
            return str(e.args)  # a lookup's KeyError reaches KLayout as the tuple (key,)
        return str(e) or type(e).__name__

    def raised_by_code(e):
        """Whether the exception came from a raise statement (not from C, as a dict lookup's)."""
        import dis

        tb = e.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is None:
            return True
        code = tb.tb_frame.f_code.co_code
        return 0 <= tb.tb_lasti < len(code) and dis.opname[code[tb.tb_lasti]] in ("RAISE_VARARGS", "RERAISE")

    def flush():
        for s in {sys.stdout, sys.stderr, *base_streams}:
            try:
                s.flush()
            except Exception:
                pass
        sys.stdout, sys.stderr = base_streams

    def after(ns):
        """Between runs: reset hook, drop the project's modules, collect garbage."""
        if ns is not None and callable(ns.get("lywatch_reset")):
            state.reset = ns["lywatch_reset"]
        if state.reset is not None:
            try:
                state.reset()
            except BaseException as e:
                state.reset = None
                return "lywatch_reset() raised %s: %s" % (type(e).__name__, e)
        for name, mod in list(sys.modules.items()):
            if mod is not None and is_project_module(mod):
                del sys.modules[name]
        if driver_main is not None:
            sys.modules["__main__"] = driver_main
        gc.collect()
        watch_third_party()
        return ""

    send(op="hello", pid=os.getpid(), version=sys.version.split()[0])
    after(None)
    broken = ""
    while True:
        msg = receive()
        if msg.get("op") != "run":
            continue
        why = broken or stale()
        if why:
            send(op="stale", id=msg["id"], why=why)
            continue
        prepare(msg)
        code, stopped, ns = 0, False, None
        try:
            state.running = True
            try:
                ns = entry()
            finally:
                state.running = False
        except SystemExit as e:
            code = exit_code(e)
        except KeyboardInterrupt:
            code, stopped = 1, True
        except BaseException as e:
            report(e)
            code = 1
        flush()
        marker = ("%s\n" % msg["marker"]).encode()
        os.write(1, marker)
        os.write(2, marker)
        send(op="done", id=msg["id"], exit=code, stopped=stopped)
        if ns is None and not module:
            ns = sys.modules["__main__"].__dict__
        broken = after(ns)


_lywatch_worker(_lywatch_base)
