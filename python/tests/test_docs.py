"""The user's guide stands alone and shows what ships: its links resolve
inside the repository, and its growth_x_delay example is the shipped file."""

import re

import pytest
from conftest import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_relative_links_resolve_inside_the_repository(doc):
    text = doc.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = (doc.parent / target.split("#")[0]).resolve()
        assert REPO in [path, *path.parents], f"{doc.name} links outside the repository: {target}"
        assert path.exists(), f"{doc.name} links to a missing file: {target}"


def test_readme_growth_x_delay_example_is_the_shipped_experiment():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", readme, flags=re.DOTALL)
    example = next(b for b in blocks if 'name = "growth_x_delay"' in b)
    shipped = (REPO / "experiments" / "growth_x_delay.toml").read_text(encoding="utf-8")
    assert tomllib.loads(example) == tomllib.loads(shipped)
