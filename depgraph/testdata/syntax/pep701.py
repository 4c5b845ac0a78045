"""PEP 701 f-strings (Python 3.12+): Python 3.11's ast rejects this file, so the
oracle test only compares it when run with a newer Python (LYWATCH_PYTHON)."""
import os

songs = ["a", "b"]
x = f"{", ".join(songs)}"
y = f"{f"{f"{songs[0]}"}"}"
z = f"{
    os.path.join(
        "a",  # a comment inside a replacement field
        "b",
    )
}"
w = f"{x:{"<"}{10}} {'\n'.join(songs)} {x!r:>{len(songs)}}"


def after_fstrings(a=f"{"}"}"):
    from os import path
    return f'''{a}{f"""{path}"""}'''


type Alias = list[int]


class Generic[T]:
    def method[U](self, u: U) -> T: ...


def last[T](x: T) -> T:
    return x
