"""``rerun()``: ``st.rerun()`` that never swallows a click the person made meanwhile.

Streamlit folds a rerun asked for while another is pending into one run of the page the *newer* request names
(``ScriptRequests._request_rerun_locked``). A script's own ``st.rerun()`` names the page it is on, so a click on
another page (or any widget) that arrived during the run was replaced by a run of the old page: on a busy team's
dashboard, whose live refresh reruns every few seconds while data changes, a click on "Contacts" was lost.
When a full run the person asked for is already waiting, this stops the current run instead: that run re-reads
everything, so it shows whatever the current run saved, on the page the person chose.
"""

from __future__ import annotations

from typing import Literal, NoReturn

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.scriptrunner_utils import script_requests as _requests


def person_waiting(requests) -> bool:
    """Whether ``requests`` (a session's ScriptRequests) holds a full run that came from the browser.

    It reads Streamlit's private request state (pinned version; tests/components/test_reruns.py checks it): if a
    later Streamlit moves it, the answer is "no" and the page simply reruns as before."""
    if requests is None:
        return False
    try:
        full_run = _requests._is_full_app_rerun
        with requests._lock:
            data = requests._rerun_data
            return (requests._state == _requests.ScriptRequestType.RERUN and full_run(data)
                    and not data.is_auto_rerun)
    except AttributeError:
        return False


def rerun(scope: Literal["app", "fragment"] = "app") -> NoReturn:
    """Run the page again, or let the run the person already asked for go first."""
    ctx = get_script_run_ctx()
    if person_waiting(getattr(ctx, "script_requests", None)):
        st.stop()
    st.rerun(scope=scope)
