"""The workspace's coding tools (issue 17): the code tree picker, in-vivo codes, per-code shortcuts, codings across
turns, undo and redo recorded in the audit trail."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.db import db
from qualitative.models import Code, Coding
from tests.qualitative.workspace.conftest import EMOJI_TRANSCRIPT


def test_the_picker_is_a_code_tree_with_notes_and_counts(client, login, people, project, import_text, code_id):
    document = import_text("emoji.txt", EMOJI_TRANSCRIPT)
    start = document.text.index("supervisor")
    db.session.add_all([Coding(document_id=document.id, code_id=code_id("III.K"), coder_id=people["coder"].id,
                               start=start, end=start + 10),
                        Coding(document_id=document.id, code_id=code_id("III.K"), coder_id=people["manager"].id,
                               start=start, end=start + 10)])
    db.session.commit()
    login(people["coder"])
    html = client.get(f"/qualitative/documents/{document.id}").get_data(as_text=True)
    assert 'role="tree"' in html and 'aria-multiselectable="true"' in html
    items = re.findall(r'<li role="treeitem"[^>]*>', html)
    codes = db.session.execute(sa.select(Code).where(Code.project_id == project.id, Code.active.is_(True))).scalars()
    assert len(items) == len(list(codes))  # every active code, headings included
    domain = re.search(rf'<li role="treeitem" id="code-item-{code_id("III")}"[^>]*>', html)[0]
    assert 'aria-level="1"' in domain and 'aria-expanded="true"' in domain and "aria-selected" not in domain
    construct = re.search(rf'<li role="treeitem" id="code-item-{code_id("III.K")}"[^>]*>', html)[0]
    assert 'aria-level="2"' in construct and 'aria-selected="false"' in construct
    assert f'aria-describedby="code-note-{code_id("III.K")}"' in construct
    # its definition and notes are in the page (shown beside it on hover or focus), and its count is 2
    iii_k = db.session.get(Code, code_id("III.K"))
    note = re.search(rf'id="code-note-{iii_k.id}" hidden>(.*?)</span>\s*</li>', html, re.S)[1]
    assert "Definition." in note and "Include:" in note and "Exclude:" in note
    assert iii_k.definition.split()[0] in note
    count = re.search(rf'id="code-item-{iii_k.id}".*?<span class="n">(\d+)</span>', html, re.S)[1]
    assert count == "2"
    # the detail is a dialog beside the highlight (positioned by the script), no longer inside the sidebar
    assert 'role="dialog"' in html and html.index('id="coding-detail"') > html.index("</aside>")
