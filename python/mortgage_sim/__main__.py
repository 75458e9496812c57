"""`python -m mortgage_sim schema`: the output schema as Markdown (the text
of docs/PYTHON.md's Schema section)."""

import sys

from .schema import markdown

if sys.argv[1:] == ["schema"]:
    print(markdown(), end="")
else:
    print("usage: python -m mortgage_sim schema", file=sys.stderr)
    sys.exit(2)
