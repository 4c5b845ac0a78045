import functools


class KCell:
    def __init__(self, name):
        self.name = name
        self.shapes = []
        self.ports = {}

    def add_shape(self, shape):
        self.shapes.append(shape)
        return self


class KCLayout:
    """A layout: its cells by name, and the decorator that makes them."""

    def __init__(self, name):
        self.name = name
        self.cells = {}

    def _key(self, func, kwargs):
        return func.__name__ + "".join("_%s%s" % (k, v) for k, v in sorted(kwargs.items()))

    def cell(self, _func=None, *, check=True):
        def decorator(func):
            @functools.wraps(func)
            def wrapper(**kwargs):
                key = self._key(func, kwargs)
                if key not in self.cells:
                    c = func(**kwargs)
                    if check and not c.shapes:
                        raise ValueError("empty cell " + key)
                    self.cells[key] = c
                return self.cells[key]

            wrapper.is_cell = True
            return wrapper

        return decorator(_func) if _func is not None else decorator

    def kcell(self, name):
        return KCell(name)


kcl = KCLayout("default")
