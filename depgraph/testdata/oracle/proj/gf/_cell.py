"""The cell decorators: cache by name, name cells after their factory and arguments."""

import functools

from gf.naming import get_name

CACHE = {}


def _check_ports(c):
    for p in c.ports.values():
        if p.width <= 0:
            raise ValueError("%s: port %s has width %s" % (c.name, p.name, p.width))


def cell(_func=None, *, check_ports=True, basename=None, post_process=(), with_module_name=False):
    """Decorate a factory: @cell, @cell(...), or cell(...) to make a decorator."""

    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            module = func.__module__ if with_module_name else None
            name = get_name(basename or func.__name__, kwargs, module)
            if name in CACHE:
                return CACHE[name]
            c = func(*args, **kwargs)
            c.name = name
            for p in post_process:
                p(c)
            if check_ports:
                _check_ports(c)
            CACHE[name] = c
            return c

        wrapper.is_cell = True
        return wrapper

    if _func is not None:
        return decorator(_func)
    return decorator


def cell_with_module_name(_func=None, **kwargs):
    """As cell, with the module name in the cell name (gdsfactory's own components)."""
    return cell(_func, with_module_name=True, **kwargs)


def vcell(_func=None, **kwargs):
    """A cell without port checks (virtual cells)."""
    return cell(_func, check_ports=False, **kwargs)
