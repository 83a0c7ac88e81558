"""Joint displays and determinants on the full demo (the only data set where all three packages meet), and the
access rule and bad input on small data."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from werkzeug.datastructures import MultiDict

from app.audit import acting_as
from app.db import db
from app.models import Role, User
from qualitative.models import QualProject


@pytest.fixture
def demo(app_ctx, monkeypatch):
    import app.demo as demo_module
    from app.security import hash_password
    from tests.conftest import TEST_PASSWORD

    one_hash = hash_password(TEST_PASSWORD)  # every demo account gets the test password: one argon2 run
    monkeypatch.setattr(demo_module, "hash_password", lambda password: one_hash)
    with acting_as("tests:seed-demo"):
        demo_module.seed(app_ctx)
    project = db.session.execute(sa.select(QualProject)).scalar_one()
    return project


def _user(email: str) -> User:
    return db.session.execute(sa.select(User).where(User.email == email)).scalar_one()


def _text(response) -> str:
    return response.get_data(as_text=True)


def _csv(response) -> tuple[list[str], list[list[str]]]:
    """The ``#`` comment lines and the CSV rows of a case x condition download."""
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    comments = [line for line in lines if line.startswith("#")]
    assert lines[:len(comments)] == comments  # above the header, where read.csv(comment.char = "#") skips them
    return comments, list(csv.reader(io.StringIO("\n".join(lines[len(comments):]))))


def test_demo_joint_display_and_determinants(demo, client, login):
    from implementation_outcomes.integration.services import determinants, joint

    director = _user("director@mio.example")
    login(director)
    display = joint.joint_display(demo, None, user=director)
    codes = {c.id: c.code for c in display["clinics"]}
    out = {codes[i]: q["outcomes"] for i, q in display["quantitative"].items()}
    # the demo tells one story: SPR clinics ahead on fidelity and dose, HFR-2 last
    for key in ("adequate_share", "mean_dose", "completion_share"):
        assert min(out["SPR-1"][key], out["SPR-2"][key]) > max(out["HFR-1"][key], out["HFR-2"][key]), key
        assert out["HFR-2"][key] == min(o[key] for o in out.values()), key
    readiness = {codes[i]: {s["subscale"]: s["mean"] for comp in q["readiness"]["components"]
                            for s in comp["subscales"]} for i, q in display["quantitative"].items()}
    for subscale in ("change_commitment", "aim", "iam", "change_efficacy"):
        spr = (readiness["SPR-1"][subscale] + readiness["SPR-2"][subscale]) / 2
        hfr = (readiness["HFR-1"][subscale] + readiness["HFR-2"][subscale]) / 2
        assert spr > hfr and readiness["HFR-2"][subscale] == min(r[subscale] for r in readiness.values())
    # consensus ratings line up: the default constructs are the distinguishing ones, rated higher at SPR
    assert display["defaulted"] and {c["strength"] for c in display["constructs"]} <= {"strong", "weak"}
    assert len(display["constructs"]) >= 4
    by_code = {code: display["cells"][cid] for cid, code in codes.items()}
    for construct in display["constructs"]:
        values = {code: by_code[code].get(construct["id"]) for code in codes.values()}
        numeric = {k: v["rating"] for k, v in values.items() if v and not v["mixed"]}
        spr = [numeric[k] for k in ("SPR-1", "SPR-2") if k in numeric]
        hfr = [numeric[k] for k in ("HFR-1", "HFR-2") if k in numeric]
        assert min(spr) > max(hfr) or max(spr) < min(hfr), construct["path"]
    quoted = [ex for cells in display["cells"].values() for cell in cells.values() for ex in cell["exemplars"]]
    assert quoted and all(ex["quote"].strip() for ex in quoted)

    page = client.get(f"/integration/projects/{demo.id}/joint")
    assert page.status_code == 200
    html = _text(page)
    first = quoted[0]
    # the link opens the page of the (paged) transcript that holds the coding
    assert f"/qualitative/documents/{first['document_id']}?coding={first['coding_id']}#coding-{first['coding_id']}" \
        in html
    assert "Statistics by themes" in html and "Side-by-side display" in html and "r<sub>wg(j)</sub>" in html
    # issue 12 item 3: the gates name the application and cohort they come from
    assert "hard gates (kept apart from the scores), 2026 spring cohort" in html
    assert "Readiness gates (2026 spring cohort)" in html and "From the agency's application to" in html
    chosen = display["constructs"][0]["id"]
    narrowed = _text(client.get(f"/integration/projects/{demo.id}/joint?construct={chosen}"))
    assert narrowed.count('class="construct-finding"') == len(display["clinics"])

    book = load_workbook(io.BytesIO(client.get(f"/integration/projects/{demo.id}/joint.xlsx").data))
    assert {"Statistics by themes", "Side by side", "Quotes", "Notes"} <= set(book.sheetnames)
    quotes = [row for row in book["Quotes"].iter_rows(values_only=True)][1:]
    assert any(first["quote"] == row[5] for row in quotes)
    assert all(str(row[7]).startswith("http") and "#coding-" in str(row[7]) for row in quotes)

    result = determinants.analyse(demo, determinants.Choice("clinic", "adequate_share"), user=director)
    assert result["groups"] == {"SPR-1": "high", "SPR-2": "high", "HFR-1": "low", "HFR-2": "low"}
    construct_rows = [r for r in result["rows"] if r["kind"] == "construct"]
    assert construct_rows[0]["difference"] > 0 and construct_rows[0]["distinction"].strength == "strong"
    assert result["truth_table"]["n_cases"] == 4
    page = _text(client.get(f"/integration/projects/{demo.id}/determinants?level=clinic&outcome=mean_dose"))
    assert "no p-values" in page and "Crisp-set truth table" in page and "<svg" in page

    counselor = determinants.analyse(demo, determinants.Choice("counselor", "adequate_share"), user=director)
    assert len(counselor["cases"]) == 16
    assert sum(c["crfs_mean"] is not None for c in counselor["cases"].values()) == 16
    crfs = next(r for r in counselor["rows"] if r["key"] == "CRFS")
    assert crfs["high_n"] + crfs["low_n"] == 16

    response = client.get(f"/integration/projects/{demo.id}/determinants/cases.csv?level=counselor"
                          "&outcome=adequate_share&condition=CRFS")
    comments, rows = _csv(response)
    assert any(line.startswith("# CRFS: 1 when value > ") for line in comments)
    assert rows[0] == ["case", "CRFS", "adequate_share_high"] and len(rows) == 17
    assert all(r[1] in ("0", "1") and r[2] in ("0", "1") for r in rows[1:])

    bad = client.get(f"/integration/projects/{demo.id}/determinants?level=counselor&outcome=reach")
    assert bad.status_code == 400 and "not available at the counselor level" in _text(bad)
    bad = client.get(f"/integration/projects/{demo.id}/determinants?split=threshold&threshold=high")
    assert bad.status_code == 400 and "Threshold must be a number" in _text(bad)

    client.post("/auth/logout")
    login(_user("analyst2@mio.example"))  # a member of the project with Code privilege
    assert client.get(f"/integration/projects/{demo.id}/joint").status_code == 200
    client.post("/auth/logout")
    login(_user("staff.spr@mio.example"))
    assert client.get(f"/integration/projects/{demo.id}/joint").status_code == 403
    assert client.get(f"/integration/projects/{demo.id}/joint.xlsx").status_code == 403


def test_access_without_membership_and_missing_project(client, login, create_user):
    director = create_user(Role.DIRECTOR)
    project = QualProject(name="Interviews", created_by_id=director.id)
    db.session.add(project)
    db.session.commit()
    outsider = create_user(Role.ANALYST)
    login(outsider)
    assert client.get("/integration/").status_code == 200
    assert "No qualitative project is open to you" in _text(client.get("/integration/"))
    assert client.get(f"/integration/projects/{project.id}/joint").status_code == 404
    client.post("/auth/logout")
    login(director)
    assert client.get("/integration/projects/999999/joint").status_code == 404
    page = client.get(f"/integration/projects/{project.id}/joint")
    assert page.status_code == 200 and "No construct has a consensus rating yet" in _text(page)
    empty = client.get(f"/integration/projects/{project.id}/determinants")
    assert empty.status_code == 200 and "there is no truth table" in _text(empty)
    assert client.get(f"/integration/projects/{project.id}/determinants/cases.csv").status_code == 400
    assert client.get(f"/integration/projects/{project.id}/determinants?level=nope").status_code == 400



def test_truth_table_thresholds_per_condition_on_the_page_and_in_the_csv(demo, client, login):
    """Per-condition thresholds (a readiness mean at its scale midpoint, a construct at 0 instead of +1) and the
    outcome's own: the page and the CSV show them, memberships follow value >= threshold, and each row's consistency
    and coverage equal Σmin(X,Y)/ΣX and Σmin(X,Y)/ΣY (Ragin 2008) recomputed from the downloaded 0/1 table."""
    from implementation_outcomes.integration.services import determinants

    director = _user("director@mio.example")
    login(director)
    variables = determinants.analyse(demo, determinants.Choice(), user=director)["variables"]
    ready = next(v for v in variables if v["kind"] == "readiness" and v["range"] == (1.0, 5.0))
    construct = next(v for v in variables if v["kind"] == "construct")
    t_ready, t_construct = f"threshold.{ready['key']}", f"threshold.{construct['key']}"
    args = MultiDict([("level", "clinic"), ("outcome", "adequate_share"), ("split", "threshold"),
                      ("threshold", "0.5"), ("condition", ready["key"]), ("condition", construct["key"]),
                      (t_ready, "3"), (t_construct, "0"), ("threshold.CRFS", "")])
    base = f"/integration/projects/{demo.id}/determinants"

    def url(path: str = "", **changes: str) -> str:
        query = args.copy()
        for name, value in changes.items():
            query[name.replace("__", ".")] = value
        return f"{base}{path}?{urlencode(list(query.items(multi=True)))}"

    page = client.get(url())
    assert page.status_code == 200
    html = _text(page)
    assert f'name="{t_ready}" inputmode="decimal" size="6" value="3"' in html  # the GET form keeps them
    result = determinants.analyse(demo, determinants.parse_choice(args), user=director)
    calibration = {c["key"]: c for c in result["calibration"]}
    assert (calibration[ready["key"]]["threshold"], calibration[ready["key"]]["source"]) == (3.0, "yours")
    assert (calibration[construct["key"]]["threshold"], calibration[construct["key"]]["source"]) == (0.0, "yours")
    assert (calibration["adequate_share"]["threshold"], calibration["adequate_share"]["operator"]) == (0.5, ">=")
    for c in result["calibration"]:
        assert f"<code>{c['column']}</code>" in html
    assert html.count("<td>you</td>") == 3

    comments, rows = _csv(client.get(url("/cases.csv")))
    ready_column, construct_column = calibration[ready["key"]]["column"], calibration[construct["key"]]["column"]
    assert f"# {ready_column}: 1 when value >= 3; your threshold; range 1 to 5; {ready['label']}" in comments
    assert f"# {construct_column}: 1 when value >= 0; your threshold; range -2 to 2; {construct['label']}" in comments
    assert any(line.startswith("# adequate_share_high: 1 when value >= 0.5; your threshold; range 0 to 1")
               for line in comments)
    assert rows[0] == ["case", ready_column, construct_column, "adequate_share_high"]
    table = {r[0]: [int(v) for v in r[1:]] for r in rows[1:]}
    for case, (x_ready, x_construct, y) in table.items():  # memberships follow value >= threshold
        assert x_ready == int(result["case_values"][ready["key"]][case] >= 3)
        assert x_construct == int(result["case_values"][construct["key"]][case] >= 0)
        assert y == int(result["outcome_values"][case] >= 0.5)
    ys = [y for *_x, y in table.values()]
    for row in result["truth_table"]["rows"]:
        config = [row["configuration"][ready["key"]], row["configuration"][construct["key"]]]
        x = [int(values[:2] == config) for values in table.values()]
        both = sum(min(a, b) for a, b in zip(x, ys, strict=True))
        assert row["consistency"] == pytest.approx(both / sum(x))
        assert row["coverage"] == (pytest.approx(both / sum(ys)) if sum(ys) else None)
    assert sorted(c for row in result["truth_table"]["rows"] for c in row["cases"]) == sorted(table)

    # the defaults, stated: a blank threshold is +1 for a construct, the cases' median for a number
    default = determinants.analyse(demo, determinants.Choice(conditions=[ready["key"], construct["key"]]),
                                   user=director)
    rules = {c["key"]: c for c in default["calibration"]}
    assert (rules[construct["key"]]["threshold"], rules[construct["key"]]["source"]) == (1.0, "default")
    assert rules[ready["key"]]["operator"] == ">" and rules[ready["key"]]["default"].startswith("above the cases' median")

    # bad thresholds: 400 naming the field, the form shown again with the input marked; the CSV refuses them too
    bad = client.get(url(**{t_ready.replace(".", "__"): "7"}))
    text = _text(bad)
    assert bad.status_code == 400 and f"Threshold for {ready['label']} must be between 1 and 5, not 7" in text
    assert f"(field: {t_ready})" in text
    assert f'name="{t_ready}" inputmode="decimal" size="6" value="7" placeholder="e.g. 3" aria-invalid="true"' in text
    for name, value, message in (
            (t_construct, "3", "must be between -2 and 2, not 3"), (t_construct, "high", "must be a number"),
            (t_construct, "nan", "must be a number"), (t_ready, "0.5", "must be between 1 and 5, not 0.5"),
            ("threshold", "80", "Threshold for share of rated sessions with adequate fidelity must be between 0 "
                                "and 1, not 80")):
        for path in ("", "/cases.csv"):
            response = client.get(url(path, **{name.replace(".", "__"): value}))
            assert response.status_code == 400 and message in _text(response), (name, value, path)
            assert f"(field: {name})" in _text(response)
    ignored = client.get(url(threshold__CRFS="5"))  # CRFS is a condition of counselors, not clinics
    assert ignored.status_code == 200 and "Not used: thresholds for CRFS" in _text(ignored)
