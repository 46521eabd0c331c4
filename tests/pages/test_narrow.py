"""Phone width (the browser reports it, ``layout_narrow``): filters and record figures fold into one expander,
the logging form comes before the timeline; a wide window keeps them in place."""

import pytest

from db.core.connection import connect
from tests.apptest import page


def _expanders(at) -> list[str]:
    return [e.label for e in at.expander]


@pytest.mark.parametrize("script, inside", [("pages/contacts.py", "c_search"), ("pages/deals.py", "d_search"),
                                            ("pages/dashboard.py", "dash_owner")])
def test_filters_fold_into_one_expander_on_a_phone(seeded, script, inside):
    wide = page(script, seeded[0], "admin")
    wide.run()
    assert "Filters" not in _expanders(wide)
    phone = page(script, seeded[0], "admin", state={"layout_narrow": True})
    phone.run()
    assert not phone.exception
    folded = next(e for e in phone.expander if e.label == "Filters")
    assert inside in [w.key for w in folded.get("text_input") + folded.get("selectbox")]


def test_the_folded_filters_say_how_many_are_set_and_still_filter(seeded):
    at = page("pages/deals.py", seeded[0], "admin", state={"layout_narrow": True})
    at.run()
    assert at.selectbox(key="d_pipeline") not in next(e for e in at.expander if e.label == "Filters").get("selectbox")
    at.toggle(key="d_mine").set_value(True).run()
    assert "Filters (1 set)" in _expanders(at)


def test_a_record_folds_its_figures_and_puts_the_log_form_first_on_a_phone(seeded):
    path = seeded[0]
    contact = connect(path).execute("SELECT id FROM contacts WHERE deleted_at IS NULL ORDER BY id LIMIT 1").fetchone()[0]
    at = page("pages/contacts.py", path, "admin", query={"id": contact}, state={"layout_narrow": True})
    at.run()
    figures = next(e for e in at.expander if e.label == "Figures")
    assert len(figures.get("metric")) == 7
    order = _keys_in_order(at.tabs[0])
    assert order.index(f"contact_{contact}_log_kind") < order.index(f"tl_kinds_{contact}")  # the form, then the list
    wide = page("pages/contacts.py", path, "admin", query={"id": contact})
    wide.run()
    assert "Figures" not in _expanders(wide) and len(wide.metric) == 7
    order = _keys_in_order(wide.tabs[0])
    assert order.index(f"tl_kinds_{contact}") < order.index(f"contact_{contact}_log_kind")  # the columns' order


def _keys_in_order(node) -> list[str]:
    """Widget keys in the order the page draws them (depth first)."""
    out = [node.key] if getattr(node, "key", None) else []
    for child in getattr(node, "children", {}).values():
        out += _keys_in_order(child)
    return out
