"""Cell names from a factory's name and arguments."""


def clean_value(value):
    if isinstance(value, float):
        value = ("%g" % value).replace(".", "p")
    if callable(value):
        value = getattr(value, "__name__", "f")
    return str(value).replace("-", "m")


def get_name(name, kwargs, module=None):
    parts = [name]
    if module:
        parts.append(module.replace(".", "_"))
    for k in sorted(kwargs):
        parts.append(k[:1].upper() + clean_value(kwargs[k]))
    return "_".join(parts)
