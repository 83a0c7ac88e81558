"""``app.tablehtml.table_rows`` (rows rendered in Python, issue 15) gives the markup the Jinja ``cell`` macro of
``delivery/_macros.html`` gives, cell for cell, on seeded random values of every column kind."""

import random
import re
from datetime import date

from markupsafe import Markup

from app.tablehtml import table_rows
from implementation_outcomes.delivery.tables import Column

MACRO_ROWS = """{% from "delivery/_macros.html" import cell %}
{%- for row in rows %}<tr>{% for value in row %}{% set c = columns[loop.index0] %}{% if loop.first %}<th scope="row">{% if link_first %}<a href="{{ link_first[row[0]] }}">{{ cell(value, c.kind) }}</a>{% else %}{{ cell(value, c.kind) }}{% endif %}</th>{% else %}<td{% if c.kind in ("int", "num", "pct") %} class="num"{% endif %}>{{ cell(value, c.kind) }}</td>{% endif %}{% endfor %}</tr>
{% endfor %}"""


def _value(rng: random.Random, kind: str):
    if rng.random() < 0.2:
        return None
    return {"int": lambda: rng.randint(-5, 2_000_000), "num": lambda: rng.choice([rng.uniform(-1e4, 1e4), 3]), "mean": lambda: rng.uniform(0, 13),
            "pct": lambda: rng.random(), "bool": lambda: rng.random() < 0.5,
            "date": lambda: date(2026, rng.randint(1, 12), rng.randint(1, 28)),
            "text": lambda: rng.choice(["SPR-1", "a < b & c", '"quoted"', Markup("<b>kept</b>"), "é–ü", 7])}[kind]()


def test_rows_match_the_cell_macro(app):
    rng = random.Random(15)
    kinds = ["text", "int", "num", "pct", "bool", "date", "mean", "text"]
    columns = [Column(f"c{i}", k) for i, k in enumerate(kinds)]
    rows = [[f"C{n}<&>"] + [_value(rng, k) for k in kinds[1:]] for n in range(300)]
    links = {row[0]: f"/clinics/{i}?a=1&b=<2>" for i, row in enumerate(rows)}
    with app.test_request_context():
        template = app.jinja_env.from_string(MACRO_ROWS)
        for link_first in (None, links):
            expected = template.render(rows=rows, columns=columns, link_first=link_first)
            assert re.sub(r">\s+<", "><", str(table_rows(rows, columns, link_first))) == \
                re.sub(r">\s+<", "><", expected)
    html = str(table_rows(rows, columns))
    assert "C0&lt;&amp;&gt;" in html and "<b>kept</b>" in html and "a &lt; b &amp; c" in html  # escaped, Markup kept
