#!/usr/bin/env python3
"""Dynamic oracle for lywatch's dependency graph: what each factory really runs.

Runs each factory of a project under sys.setprofile and records which project
functions, methods and module-level code it calls, which files under the
project it opens, and which installed packages it calls into. The static
graph (depgraph) must depend on all of it. Used by depgraph's oracle tests.

Configuration: a JSON file named by -rd config=PATH when run by KLayout
(klayout -b -r calloracle.py -rd config=PATH), else by the first argument
(python3 calloracle.py PATH):

  {"roots": [dirs whose .py files are project code, the first on sys.path],
   "paths": [more dirs for sys.path],
   "sites": [site-packages dirs, added with site.addsitedir: .pth files run],
   "packages": [dirs of installed packages: calls into them are recorded],
   "imports": [modules to import first, such as the one activating a PDK],
   "factories": ["module:name", ...],
   "out": PATH}

With "mode": "edits", it runs nothing and writes instead, per function and
method of the roots' .py files, where a statement can be added at the end of
its body (for tests that edit each unit):

  {"unit": unit, "file": PATH, "after": line, "indent": columns}

Output, one JSON object per factory per line in "out":

  {"factory": "module.name", "error": "" or the exception,
   "calls": {unit: chain}, "files": {path: chain}, "packages": {top: chain}}

A unit is "module.function", "module.Class.method", "module.Class" (class
body, nested classes) or "module" (module-level code, lambdas there); code
nested in a function counts as that function. A chain is the units from the
factory down to the first call of that unit. files are absolute paths (with
symbolic links resolved) of files under a root. Each factory runs in a
forked child, so that no cache filled by another factory hides a call.
"""
import json
import os
import sys
import traceback


def load_config():
    path = globals().get("config") or (sys.argv[1] if len(sys.argv) > 1 else "")
    if not path:
        raise SystemExit("calloracle: no configuration (-rd config=PATH or an argument)")
    with open(path) as f:
        return json.load(f)


def unit_of(code, globs):
    mod = globs.get("__name__", "?")
    qual = getattr(code, "co_qualname", code.co_name).split(".<locals>.")[0]
    parts = qual.split(".")
    if parts[0].startswith("<"):  # <module>, <lambda>, <listcomp> at module level
        return mod
    if len(parts) == 1:
        return mod + "." + parts[0]
    if parts[1].startswith("<") or len(parts) > 2:
        return mod + "." + parts[0]  # class body code, nested classes
    return mod + "." + parts[0] + "." + parts[1]


class Recorder:
    def __init__(self, roots, packages):
        self.roots = [os.path.realpath(r) + os.sep for r in roots]
        self.packages = [os.path.realpath(p) + os.sep for p in packages]
        self.kind = {}  # co_filename -> ("p", root) | ("k", top) | None
        self.stack = []  # (frame, unit) of project frames
        self.calls, self.files, self.pkgs = {}, {}, {}
        self.on = False

    def classify(self, filename):
        k = self.kind.get(filename, False)
        if k is not False:
            return k
        real = os.path.realpath(filename)
        k = None
        for r in self.roots:
            if real.startswith(r):
                k = ("p", r)
                break
        else:
            for p in self.packages:
                if real.startswith(p):
                    k = ("k", real[len(p):].split(os.sep)[0].split(".")[0])
                    break
        self.kind[filename] = k
        return k

    def chain(self, last):
        out = []
        for _, u in self.stack:
            if not out or out[-1] != u:
                out.append(u)
        if last is not None and (not out or out[-1] != last):
            out.append(last)
        return out

    def profile(self, frame, event, arg):
        if event == "call":
            k = self.classify(frame.f_code.co_filename)
            if k is None:
                return
            if k[0] == "k":
                self.pkgs.setdefault(k[1], self.chain(None) + ["package " + k[1]])
                return
            u = unit_of(frame.f_code, frame.f_globals)
            self.stack.append((frame, u))
            self.calls.setdefault(u, self.chain(None))
        elif event == "return":
            if self.stack and self.stack[-1][0] is frame:
                self.stack.pop()

    def audit(self, event, args):
        if not self.on or event != "open" or not args:
            return
        p = args[0]
        if isinstance(p, int):
            return
        try:
            p = os.path.realpath(os.fsdecode(p))
        except (TypeError, ValueError):
            return
        if not os.path.isfile(p):
            return
        for r in self.roots:
            if p.startswith(r):
                self.files.setdefault(p, self.chain("file " + p))
                return


def run(factory, rec):
    mod, name = factory.split(":")
    m = __import__(mod, fromlist=["_"])
    f = getattr(m, name)
    rec.on = True
    sys.setprofile(rec.profile)
    try:
        f()
        err = ""
    except BaseException as e:  # report and go on: the static graph is checked on what did run
        err = "%s: %s" % (type(e).__name__, e)
    finally:
        sys.setprofile(None)
        rec.on = False
    return {"factory": mod + "." + name, "error": err, "calls": rec.calls, "files": rec.files, "packages": rec.pkgs}


def edit_points(cfg):
    import ast

    with open(cfg["out"], "w") as out:
        for root in cfg["roots"]:
            for dirpath, dirs, files in os.walk(root):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
                for name in sorted(files):
                    if not name.endswith(".py"):
                        continue
                    path = os.path.join(dirpath, name)
                    mod = os.path.relpath(path, root)[:-3].replace(os.sep, ".")
                    if mod.endswith(".__init__"):
                        mod = mod[: -len(".__init__")]
                    with open(path, "rb") as f:
                        tree = ast.parse(f.read(), path)
                    units = []
                    for node in tree.body:
                        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                            units.append((mod + "." + node.name, node))
                        elif isinstance(node, ast.ClassDef):
                            for m in node.body:
                                if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
                                    units.append((mod + "." + node.name + "." + m.name, m))
                    for unit, node in units:
                        if node.body[0].lineno == node.lineno:
                            continue  # a one-line def
                        rec = {"unit": unit, "file": path, "after": node.end_lineno, "indent": node.body[0].col_offset}
                        out.write(json.dumps(rec) + "\n")


def main():
    cfg = load_config()
    if cfg.get("mode") == "edits":
        edit_points(cfg)
        return
    sys.dont_write_bytecode = True
    import site

    for s in cfg.get("sites", []):
        site.addsitedir(s)
    for p in reversed(cfg.get("paths", []) + cfg["roots"][:1]):
        if p not in sys.path:
            sys.path.insert(0, p)
    rec = Recorder(cfg["roots"], cfg.get("packages", []))
    sys.addaudithook(rec.audit)
    # Import every module first, in the parent: import-time code is not
    # what a factory runs.
    for m in cfg.get("imports", []):
        __import__(m)
    for fac in cfg["factories"]:
        __import__(fac.split(":")[0], fromlist=["_"])
    with open(cfg["out"], "w") as out:
        for fac in cfg["factories"]:
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                try:
                    res = run(fac, rec)
                except BaseException:
                    res = {"factory": fac.replace(":", "."), "error": traceback.format_exc()}
                with os.fdopen(w, "w") as pw:
                    pw.write(json.dumps(res) + "\n")
                os._exit(0)
            os.close(w)
            with os.fdopen(r) as pr:
                line = pr.read()
            os.waitpid(pid, 0)
            if not line.strip():
                line = json.dumps({"factory": fac.replace(":", "."), "error": "the child wrote nothing"}) + "\n"
            out.write(line)


main()
