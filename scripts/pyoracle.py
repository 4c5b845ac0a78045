#!/usr/bin/env python3
"""Oracle for lywatch's Go Python scanner (depgraph).

Reads file paths, one per line, on stdin and prints one JSON object per file on
stdout, as Python's own ast module sees it:

  {"path": P, "error": "...", }                      when ast cannot parse the file
  {"path": P, "imports": [[module, names, level, line], ...],
              "defs": [[name, kind, lineno, end_lineno], ...]}

imports: every Import and ImportFrom node anywhere in the file (ast.walk), one
entry per alias for `import a, b` (names null) and one per statement for
`from m import x, y` (module "" for `from . import x`, names in source order,
"*" for a star import); line is the statement's lineno.
defs: the module body's direct FunctionDef/AsyncFunctionDef/ClassDef children;
kind is "def" or "class"; lineno is the def/class line, not the decorator's.
"""
import ast
import json
import sys
import warnings


def describe(path):
    with open(path, "rb") as f:
        src = f.read()
    try:
        tree = ast.parse(src, filename=path)
    except (SyntaxError, ValueError) as e:  # ValueError: null bytes
        return {"path": path, "error": "%s: %s" % (type(e).__name__, e)}
    imports = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                imports.append([a.name, None, 0, node.lineno])
        elif isinstance(node, ast.ImportFrom):
            imports.append([node.module or "", [a.name for a in node.names], node.level, node.lineno])
    defs = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defs.append([node.name, "def", node.lineno, node.end_lineno])
        elif isinstance(node, ast.ClassDef):
            defs.append([node.name, "class", node.lineno, node.end_lineno])
    return {"path": path, "imports": imports, "defs": defs}


def main():
    warnings.simplefilter("ignore")
    out = sys.stdout
    for line in sys.stdin:
        path = line.rstrip("\n")
        if path:
            out.write(json.dumps(describe(path)) + "\n")


if __name__ == "__main__":
    main()
