"""Taguette codebooks, dotted names as a hierarchy and keys made from names (qualitative/codebook_io.py), fuzzed
as the other codebook readers are: any input gives rows that pass check_hierarchy, or a CodebookImportError."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from qualitative.codebook_io import (
    CodebookImportError,
    check_hierarchy,
    dotted_hierarchy,
    is_taguette_csv,
    key_from_name,
    read_taguette_csv,
)

_NAME = st.text(st.sampled_from("ab.é É_- /\"<>ἈΩ1"), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(names=st.lists(_NAME, min_size=1, max_size=8))
def test_dotted_hierarchy_of_any_tags(names):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["tag", "description", "number of highlights"])
    for name in names:
        writer.writerow([name, "", "0"])
    assert is_taguette_csv(out.getvalue())
    try:
        rows = read_taguette_csv(out.getvalue())
    except CodebookImportError:
        return  # an empty or repeated tag, named with its row
    tree = dotted_hierarchy(rows)
    check_hierarchy(tree)
    keys = [r["key"] for r in tree]
    assert len(keys) == len(set(keys))
    assert all(not any(ch in key for ch in ' /"<>') and len(key) <= 40 and key[0] not in "-._" for key in keys)
    # every tag is still there: its path is the names from the top down, joined with dots
    by_key = {r["key"]: r for r in tree}

    def path(row):
        parent = row["parent_key"]
        return f"{path(by_key[parent])}.{row['name']}" if parent else str(row["name"])

    paths = {path(r) for r in tree}
    assert {r["name"] for r in rows} <= paths


@settings(max_examples=200, deadline=None)
@given(names=st.lists(_NAME, max_size=10))
def test_keys_are_unique_and_keep_letters(names):
    used: set[str] = set()
    keys = [key_from_name(n, used) for n in names]
    assert len(set(keys)) == len(keys) and set(keys) == used
    for name, key in zip(names, keys, strict=True):
        letters = [ch for ch in name if ch.isalpha()]
        if letters and len(name) < 30:
            assert letters[0] in key  # é, Ἀ... are not dropped
