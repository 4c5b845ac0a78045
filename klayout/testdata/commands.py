"""Prints the keys of the server macro's COMMANDS table, one per line, read
with Python's own parser (ast), not by running the macro:

    python3 commands.py server.py"""

import ast
import sys

tree = ast.parse(open(sys.argv[1], encoding="utf-8").read(), sys.argv[1])
found = False
for node in tree.body:
    if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "COMMANDS" for t in node.targets):
        if not isinstance(node.value, ast.Dict):
            sys.exit("COMMANDS is not a dict literal")
        for k in node.value.keys:
            if not isinstance(k, ast.Constant) or not isinstance(k.value, str):
                sys.exit("a COMMANDS key is not a string literal")
            print(k.value)
        found = True
if not found:
    sys.exit("no COMMANDS table at the top level")
