"""components.reruns: a script's own rerun never replaces a run the person asked for meanwhile."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.runtime.scriptrunner_utils.script_requests import RerunData, ScriptRequests
from streamlit.testing.v1 import AppTest

from components.reruns import person_waiting

ROOT = Path(__file__).resolve().parents[2]


def test_streamlit_folds_two_reruns_into_the_newer_page():
    """The upstream behaviour the helper exists for: a click on Contacts, then the dashboard's own
    ``st.rerun()`` before the run yields, and the one run left is the dashboard's."""
    requests = ScriptRequests()
    requests.request_rerun(RerunData(page_script_hash="contacts", page_name="contacts"))
    requests.request_rerun(RerunData(page_script_hash="dashboard", page_name="dashboard"))
    assert requests._rerun_data.page_script_hash == "dashboard"


def test_a_run_the_browser_asked_for_counts_as_waiting():
    requests = ScriptRequests()
    assert not person_waiting(requests)
    requests.request_rerun(RerunData(page_script_hash="contacts"))
    assert person_waiting(requests)


def test_a_fragment_timer_or_an_auto_rerun_does_not():
    fragment = ScriptRequests()
    fragment.request_rerun(RerunData(page_script_hash="dashboard", fragment_id="watch"))
    assert not person_waiting(fragment)  # a full rerun folds it in: the page is the same
    auto = ScriptRequests()
    auto.request_rerun(RerunData(page_script_hash="dashboard", is_auto_rerun=True))
    assert not person_waiting(auto)
    assert not person_waiting(None)


def _script():
    import streamlit as st

    from components.reruns import rerun

    st.session_state["runs"] = st.session_state.get("runs", 0) + 1
    if st.session_state["runs"] == 1:
        rerun()
    st.write(f"runs: {st.session_state['runs']}")


def test_with_nothing_waiting_it_runs_the_page_again():
    at = AppTest.from_function(_script).run()
    assert not at.exception
    assert at.session_state["runs"] == 2
    assert at.markdown[0].value == "runs: 2"


def test_no_page_or_component_calls_st_rerun_itself():
    """Every rerun goes through the helper (fix the class, not the one page)."""
    offenders = []
    for path in [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("components/**/*.py")]:
        if path.name == "reruns.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\bst\.rerun\(", line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []
