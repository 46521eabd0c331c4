"""The embeddable HTML of a web-to-lead form: plain HTML, no script, the honeypot hidden off-screen."""

from __future__ import annotations

import html

from db.crm.webforms import CUSTOM, HONEYPOT

TYPES = {"email": "email", "phone": "tel"}
CUSTOM_TYPES = {"number": "number", "money": "number", "percent": "number", "date": "date", "url": "url",
                "email": "email", "phone": "tel", "checkbox": "checkbox"}
AUTOCOMPLETE = {"first_name": "given-name", "last_name": "family-name", "email": "email", "phone": "tel",
                "title": "organization-title"}


def _control(field: str, custom: dict) -> str:
    """One input of the form: a built-in contact field, the message, or a contact custom field."""
    if field == "message":
        return '<textarea name="message" rows="4" maxlength="5000"></textarea>'
    if field.startswith(CUSTOM):
        spec = custom[field]
        name, required = html.escape(spec.key), " required" if spec.required and spec.default is None else ""
        if spec.type == "long_text":
            return f'<textarea name="{name}" rows="4"{required}></textarea>'
        if spec.type == "choice":
            options = "".join(f'<option>{html.escape(o)}</option>' for o in spec.options)
            return f'<select name="{name}"{required}><option value=""></option>{options}</select>'
        if spec.type == "checkbox":
            return f'<input type="checkbox" name="{name}" value="1">'
        step = ' step="any"' if spec.type in ("number", "money", "percent") else ""
        return f'<input type="{CUSTOM_TYPES.get(spec.type, "text")}" name="{name}"{step}{required}>'
    required = " required" if field == "first_name" else ""
    return (f'<input type="{TYPES.get(field, "text")}" name="{field}" autocomplete="{AUTOCOMPLETE.get(field, "on")}"'
            f' maxlength="320"{required}>')


def snippet(form: dict, action: str, labels: dict[str, str], send: str, custom: dict | None = None) -> str:
    """``action`` is the full URL of ``POST /forms/<public id>``; ``labels`` the label of each of the form's
    fields; ``custom`` the contact custom fields a form may ask (``webforms.custom_fields``)."""
    custom = custom or {}
    lines = [f'<form action="{html.escape(action)}" method="post" accept-charset="utf-8">']
    for field in form["fields"]:
        if field.startswith(CUSTOM) and field not in custom:
            continue  # archived or removed since the form was made
        label = html.escape(labels.get(field, field))
        lines.append(f"  <label>{label}\n    {_control(field, custom)}\n  </label>")
    lines.append('  <div style="position:absolute;left:-10000px" aria-hidden="true">\n'
                 f'    <input type="text" name="{HONEYPOT}" tabindex="-1" autocomplete="off">\n  </div>')
    lines.append(f"  <button type=\"submit\">{html.escape(send)}</button>")
    lines.append("</form>")
    return "\n".join(lines)
