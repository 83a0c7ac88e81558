"""Export of .qdpx/.qdc: schema validity (REFI Project.xsd / Codebook.xsd), layout, order, CRLF, errors."""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import replace
from xml.etree.ElementTree import fromstring

import pytest

from qualitative.refiqda import (
    NS_CODEBOOK,
    NS_PROJECT,
    QdaCode,
    QdaProject,
    QdaSelection,
    QdaTextSource,
    RefiQdaError,
    export_qdc,
    export_qdpx,
    stable_guid,
)
from qualitative.refiqda.values import format_variable_value
from tests.qualitative.refiqda.refi_support import WHEN, build_sample_project


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


@pytest.mark.parametrize("crlf", [False, True])
def test_export_is_valid_against_project_xsd(sample_project, project_schema, crlf):
    qde = members(export_qdpx(sample_project, crlf=crlf))["project.qde"]
    project_schema.validate(qde.decode("utf-8"))  # raises XMLSchemaValidationError when invalid


def test_project_children_follow_the_schema_order(sample_project):
    root = fromstring(members(export_qdpx(sample_project))["project.qde"])
    assert root.tag == f"{{{NS_PROJECT}}}Project"
    assert [child.tag.split("}")[1] for child in root] == [
        "Users", "CodeBook", "Variables", "Cases", "Sources", "Notes", "Description"]


def test_empty_project_omits_optional_blocks_and_stays_valid(project_schema):
    qde = members(export_qdpx(QdaProject("Empty")))["project.qde"]
    project_schema.validate(qde.decode("utf-8"))
    assert len(fromstring(qde)) == 0


def test_archive_holds_sources_as_internal_utf8_text(sample_project):
    files = members(export_qdpx(sample_project))
    guids = [s.guid for s in sample_project.sources]
    assert list(files) == ["project.qde"] + [f"sources/{g}.txt" for g in guids]
    assert files[f"sources/{guids[0]}.txt"] == sample_project.sources[0].text.encode("utf-8")  # no BOM
    root = fromstring(files["project.qde"])
    paths = [e.get("plainTextPath") for e in root.iter(f"{{{NS_PROJECT}}}TextSource")]
    assert paths == [f"internal://{g}.txt" for g in guids]
    assert all(e.get("richTextPath") is None for e in root.iter(f"{{{NS_PROJECT}}}TextSource"))


def test_positions_are_code_points_into_the_text(sample_project):
    root = fromstring(members(export_qdpx(sample_project))["project.qde"])
    first = next(root.iter(f"{{{NS_PROJECT}}}PlainTextSelection"))
    assert (first.get("startPosition"), first.get("endPosition")) == ("17", "30")
    sel = sample_project.sources[0].selections[1]
    # "she asked what my baby felt 😀": 29 code points although the emoji is 2 UTF-16 units / 4 bytes
    assert (sel.start, sel.end) == (45, 74)


def test_crlf_export_shifts_positions_by_preceding_line_breaks(sample_project):
    files = members(export_qdpx(sample_project, crlf=True))
    root = fromstring(files["project.qde"])
    positions = [(int(e.get("startPosition")), int(e.get("endPosition")))
                 for e in root.iter(f"{{{NS_PROJECT}}}PlainTextSelection")]
    # Source 1: selection 17-30 has no "\n" before it -> 17-30; selection 45-74 has one ("\n" at 31) -> 46-75.
    # Source 2: "\n" at 30 and 31 precede 43-57 -> 45-59; 11-30 has none before 11 or 30 -> 11-30.
    assert positions == [(17, 30), (46, 75), (11, 30), (45, 59)]
    text1 = files[f"sources/{sample_project.sources[0].guid}.txt"].decode("utf-8")
    text2 = files[f"sources/{sample_project.sources[1].guid}.txt"].decode("utf-8")
    assert "\r\n" in text1 and "\n" not in text1.replace("\r\n", "")
    assert text1[46:75] == "she asked what my baby felt 😀"
    assert text2[45:59] == "I got curious."


def test_export_is_deterministic(sample_project):
    assert export_qdpx(sample_project) == export_qdpx(build_sample_project())
    assert export_qdc(sample_project.codes) == export_qdc(build_sample_project().codes)


def test_coding_elements_reference_codes_with_derived_guids(sample_project):
    root = fromstring(members(export_qdpx(sample_project))["project.qde"])
    second = list(root.iter(f"{{{NS_PROJECT}}}PlainTextSelection"))[1]
    codings = second.findall(f"{{{NS_PROJECT}}}Coding")
    refs = [c.find(f"{{{NS_PROJECT}}}CodeRef").get("targetGUID") for c in codings]
    assert refs == [stable_guid("code", 3), stable_guid("code", 2)]
    assert codings[0].get("guid") == stable_guid("coding", f"{second.get('guid')}/{refs[0]}")


def test_stable_guid_is_uuid5_of_namespace_and_id():
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, "urn:mio-platform:refi-qda")  # independent derivation
    assert stable_guid("code", 12) == str(uuid.uuid5(namespace, "code:12"))
    assert uuid.UUID(stable_guid("code", 12)).version == 5
    assert stable_guid("code", 12) != stable_guid("source", 12)


def test_qdc_is_valid_against_codebook_xsd(sample_project, codebook_schema):
    qdc = export_qdc(sample_project.codes)
    codebook_schema.validate(qdc.decode("utf-8"))
    root = fromstring(qdc)
    assert root.tag == f"{{{NS_CODEBOOK}}}CodeBook"
    names = [e.get("name") for e in root.iter(f"{{{NS_CODEBOOK}}}Code")]
    assert names == ["Engagement", "Stigma", "Mentalizing prompt", "Other"]
    domain = root.find(f"{{{NS_CODEBOOK}}}Codes/{{{NS_CODEBOOK}}}Code")
    assert domain.get("isCodable") == "false" and len(domain.findall(f"{{{NS_CODEBOOK}}}Code")) == 2


def test_float_values_are_written_as_xsd_decimal():
    assert format_variable_value("Float", 1e20, "x") == "100000000000000000000"
    assert format_variable_value("Float", 2.5e-7, "x") == "0.00000025"
    with pytest.raises(RefiQdaError, match="xsd:decimal"):
        format_variable_value("Float", float("nan"), "x")


def _with_selection(project: QdaProject, selection: QdaSelection) -> QdaProject:
    source = replace(project.sources[0], selections=[selection])
    return replace(project, sources=[source, *project.sources[1:]])


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda p: _with_selection(p, QdaSelection(stable_guid("sel", 9), 0, 5, codings=[stable_guid("code", 99)])),
         "coded with unknown code"),
        (lambda p: _with_selection(p, QdaSelection(stable_guid("sel", 9), 70, 500)), "outside the text"),
        (lambda p: _with_selection(p, QdaSelection(stable_guid("sel", 9), 9, 3)), "outside the text"),
        (lambda p: replace(p, users=p.users + [p.users[0]]), "used twice"),
        (lambda p: replace(p, cases=[replace(p.cases[0], variable_values={p.variables[2].guid: "nine"})]),
         "does not fit variable type 'Integer'"),
        (lambda p: replace(p, cases=[replace(p.cases[0], variable_values={stable_guid("var", "x"): 1})]),
         "unknown variable"),
        (lambda p: replace(p, cases=[replace(p.cases[0], source_refs=[stable_guid("source", 77)])]),
         "unknown source"),
        (lambda p: replace(p, notes=[]), "unknown note"),
        (lambda p: replace(p, name="bad\x00name"), "U\\+0000"),
        (lambda p: replace(p, codes=[QdaCode(stable_guid("code", 1), "x", color="red")]), "not #RRGGBB"),
        (lambda p: replace(p, codes=[QdaCode("not-a-guid", "x")]), "not a GUID"),
        (lambda p: replace(p, sources=[QdaTextSource(stable_guid("source", 5), "s", "lone \ud800 surrogate")],
                           cases=[]), "UTF-8"),
    ],
)
def test_invalid_projects_are_refused_with_a_clear_message(sample_project, mutate, message):
    with pytest.raises(RefiQdaError, match=message):
        export_qdpx(mutate(sample_project))


def test_empty_codebook_cannot_be_written_as_qdc():
    with pytest.raises(RefiQdaError, match="at least one code"):
        export_qdc([])


def test_when_is_written_in_utc(sample_project):
    root = fromstring(members(export_qdpx(sample_project))["project.qde"])
    assert root.get("creationDateTime") == WHEN.strftime("%Y-%m-%dT%H:%M:%SZ") == "2025-03-01T12:00:00Z"
