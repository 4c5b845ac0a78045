# -*- coding: utf-8 -*-
"""Module docstring with 'quotes' and "more" and \"\"\" escapes."""
from __future__ import annotations

import os, sys as system
import a.b.c as abc, d.e
from . import sibling
from .. import parent as p
from ...pkg.mod import (
    one,
    two as deux,  # comment in brackets
)
from .rel import *

try: import fastjson
except ImportError: fastjson = None
if True: from x import y; import z

x = 1; import semi
s = r'raw \' still' + b"bytes\"" + rb'\d' + Rb"x" + u'uni'
t = '''triple ' " '' with
def not_a_def():
    pass
'''
f1 = f"simple {x} and {x!r:>{10}} {{literal}} {'nested'}"
f2 = f'''multi {
    x + 1
} line {x:{"fmt"}}'''
cont = 1 + \
    2
lam = lambda: 0
café = "unicode name"


@decorator
@cell(name="x",
      other=[1, 2,
             3])
def factory(a: int = 1, *, b: "str" = 'x') -> "Component":
    """Docstring."""
    import inner_mod
    from .inner import thing

    def nested():
        return f"{thing(a)}"
    return nested()
# trailing comment at column 0 is not part of the body


    # an indented comment after the body


async def coro():
    async with ctx() as c:
        await c
    match command:
        case {"import": x}:
            pass
        case _:
            from case_mod import handler


class Klass(Base, metaclass=Meta):
    attr: int = 3

    @property
    def p(self): return self.attr

def one_liner(): return 1
class Empty: pass
if __name__ == "__main__":
    def not_top(): pass
    factory()
@gf.cell
def last(x=f"{1:{2}}"): return \
    x
