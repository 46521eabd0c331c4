"""The embeddable HTML of a web-to-lead form: plain HTML, no script, the honeypot hidden off-screen."""

from __future__ import annotations

import html

from db.crm.webforms import HONEYPOT

TYPES = {"email": "email", "phone": "tel"}
AUTOCOMPLETE = {"first_name": "given-name", "last_name": "family-name", "email": "email", "phone": "tel",
                "title": "organization-title"}


def snippet(form: dict, action: str, labels: dict[str, str], send: str) -> str:
    """``action`` is the full URL of ``POST /forms/<public id>``; ``labels`` the field labels to show."""
    lines = [f'<form action="{html.escape(action)}" method="post" accept-charset="utf-8">']
    for field in form["fields"]:
        label = html.escape(labels.get(field, field))
        required = " required" if field == "first_name" else ""
        if field == "message":
            control = f'<textarea name="message" rows="4" maxlength="5000"{required}></textarea>'
        else:
            kind = TYPES.get(field, "text")
            control = (f'<input type="{kind}" name="{field}" autocomplete="{AUTOCOMPLETE.get(field, "on")}"'
                       f' maxlength="320"{required}>')
        lines.append(f"  <label>{label}\n    {control}\n  </label>")
    lines.append('  <div style="position:absolute;left:-10000px" aria-hidden="true">\n'
                 f'    <input type="text" name="{HONEYPOT}" tabindex="-1" autocomplete="off">\n  </div>')
    lines.append(f"  <button type=\"submit\">{html.escape(send)}</button>")
    lines.append("</form>")
    return "\n".join(lines)
