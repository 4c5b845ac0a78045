"""An installed package (a stand-in for numpy) with a version: fakenp 1.0."""


def array(values):
    return list(values)


def linspace(a, b, n):
    return [a + (b - a) * i / (n - 1) for i in range(n)]
