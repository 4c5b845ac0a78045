"""Cell names the way kfactory makes them, with no dependency on pya.

A cell is named after its factory, then ``_`` and, per parameter in signature
order, the capitalised initials of the parameter name followed by the value:

    straight(width=0.5, length=10.0)  ->  straight_W0p5_L10

Names longer than MAX_CELLNAME_LENGTH characters are cut and end with ``_``
and the first 8 hex digits of a hash of the full name.

This module is importable by plain python3, so the naming rules can be tested
without KLayout.
"""

import hashlib

MAX_CELLNAME_LENGTH = 99

# Characters kfactory's clean_name replaces (or drops) in a name.
_REPLACE = {
    " ": "_", "!": "_", "#": "_", "%": "_", "(": "", ")": "", "*": "_",
    ",": "_", "-": "m", ".": "p", "/": "_", ":": "_", "=": "", "@": "_",
    "[": "", "]": "", "{": "", "}": "", "$": "", "'": "", '"': "",
}


def clean_name(name):
    """Return name with characters that are awkward in cell names replaced."""
    for old, new in _REPLACE.items():
        name = name.replace(old, new)
    return name


def join_first_letters(name):
    """Return the first letter of each ``_``-separated word: taper_length -> tl."""
    return "".join(word[0] for word in name.split("_") if word)


def clean_value(value):
    """Return a parameter value as it appears in a cell name.

    0.5 -> 0p5, 10.0 -> 10, -2.5 -> m2p5, (1, 0) -> 1_0, a function -> its name.
    """
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return clean_name(str(value))
    if isinstance(value, float):
        if value == int(value):
            return clean_name(str(int(value)))
        return clean_name(repr(value))
    if isinstance(value, (list, tuple)):
        return "_".join(clean_value(v) for v in value)
    if isinstance(value, dict):
        return dict2name(**value)
    if value is None:
        return "None"
    if callable(value) and hasattr(value, "__name__"):
        return clean_name(value.__name__)
    return clean_name(str(value))


def dict2name(prefix=None, **kwargs):
    """Return ``KEY``+value parts joined by ``_``: W0p5_L10."""
    parts = [prefix] if prefix else []
    for key, value in kwargs.items():
        parts.append(join_first_letters(key).upper() + clean_value(value))
    return clean_name("_".join(parts))


def shorten(name, max_length=MAX_CELLNAME_LENGTH):
    """Cut a name past max_length, ending it with ``_`` and 8 hex digits of its hash."""
    if len(name) <= max_length:
        return name
    digest = hashlib.sha3_512(name.encode()).hexdigest()[:8]
    return name[: max_length - 9] + "_" + digest


def get_cell_name(function_name, max_length=MAX_CELLNAME_LENGTH, **params):
    """Return the kfactory-style cell name of function_name called with params."""
    name = function_name
    if params:
        name += "_" + dict2name(**params)
    return shorten(name, max_length)
