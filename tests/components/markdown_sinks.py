"""A static walk of the UI code: every value that reaches a markdown-rendering Streamlit argument must be
provably literal, translated, formatted, or passed through ``components.text.esc``.

Streamlit renders markdown in the body of st.markdown/caption/title/alerts/toast/write, in every widget
label, ``help=`` tooltip, tab and expander title, ``page_link`` label, and in the options of st.radio,
st.pills and st.segmented_control (selectbox/multiselect options and dataframe cells are plain). A value
is *safe* when it is a literal, ``esc(...)``, ``t(key, **safe params)``, ``error_text(...)`` (it escapes
its parameters), a number formatter (money, number, percent, day, moment, len), or an expression built
from safe parts (f-strings, ``+``, ``" · ".join`` of safe items, conditionals) or a local name whose
every assignment is safe. Anything else (a record field, a function parameter) is reported.

A line may opt out with a ``# text-safe: <reason>`` comment (for a value the checker cannot see is
safe, such as a number in an attribute).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
MARKER = "text-safe:"

BODY = {"markdown", "caption", "title", "header", "subheader", "info", "success", "warning", "error", "toast",
        "write", "spinner", "status", "badge", "exception"}
LABELLED = {"button", "download_button", "form_submit_button", "link_button", "checkbox", "toggle", "radio",
            "selectbox", "multiselect", "select_slider", "slider", "text_input", "text_area", "number_input",
            "date_input", "time_input", "datetime_input", "file_uploader", "color_picker", "pills",
            "segmented_control", "expander", "popover", "metric", "camera_input", "audio_input", "dialog",
            "feedback", "chat_input"}
LABEL_KEYWORD_ONLY = {"page_link": "label", "nav_link": "label", "progress": "text"}
MARKDOWN_OPTIONS = {"radio", "pills", "segmented_control"}  # their options are rendered as markdown too
SAFE_CALLS = {"esc", "t", "error_text", "money", "number", "percent", "day", "moment", "stamp", "len", "translate"}
NOT_STREAMLIT = {"log", "logger", "LOG", "_LOG", "logging", "buffer", "file", "handle", "out", "sys"}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    sink: str
    code: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.sink}: {self.code}"


class _Scope:
    """Assignments to plain names in one function (or the module), for resolving a name to its values."""

    def __init__(self, node: ast.AST, parent: _Scope | None):
        self.parent = parent
        self.values: dict[str, list[ast.AST | None]] = {}
        self.params: set[str] = set()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            args = node.args
            self.params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
            self.params |= {a.arg for a in (args.vararg, args.kwarg) if a}
        body = node.body if isinstance(node.body, list) else []
        for stmt in body:
            for sub in _walk_same_scope(stmt):
                self._record(sub)

    def _record(self, node: ast.AST) -> None:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                self._bind(target, node.value)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            self._bind(node.target, node.value)
        elif isinstance(node, ast.AugAssign):
            self._bind(node.target, node.value)
        elif isinstance(node, ast.For | ast.AsyncFor):
            self._bind(node.target, _Element(node.iter))
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if item.optional_vars is not None:
                    self._bind(item.optional_vars, None)
        elif isinstance(node, ast.NamedExpr):
            self._bind(node.target, node.value)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args \
                and isinstance(node.func.value, ast.Name) and node.func.attr in ("append", "insert", "add", "extend"):
            # items.append(x) makes x one of items' values; extend(xs) adds xs' items
            added = node.args[-1] if node.func.attr == "extend" else ast.List(elts=[node.args[-1]], ctx=ast.Load())
            self.values.setdefault(node.func.value.id, []).append(added)

    def _bind(self, target: ast.AST, value) -> None:
        if isinstance(target, ast.Name):
            self.values.setdefault(target.id, []).append(value)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):  # table[k] = v
            self.values.setdefault(target.value.id, []).append(ast.Dict(keys=[None], values=[value]))
        elif isinstance(target, ast.Tuple | ast.List):
            for i, elt in enumerate(target.elts):
                self._bind(elt, _Element(value, i) if value is not None else None)


@dataclass(frozen=True)
class _Element:
    """Item ``index`` (or any item) of the values of ``source``: a for-loop or unpacking target."""

    source: object
    index: int | None = None


def _walk_same_scope(node: ast.AST):
    """The statements and expressions of one scope, not descending into nested functions or classes."""
    yield node
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        yield from _walk_same_scope(child)


class Checker(ast.NodeVisitor):
    def __init__(self, path: str, source: str):
        self.path = path
        self.lines = source.splitlines()
        self.findings: list[Finding] = []
        self.scope: _Scope | None = None

    # scopes -------------------------------------------------------------------------------------------
    def visit_Module(self, node):
        self.scope = _Scope(node, None)
        self.generic_visit(node)

    def _visit_function(self, node):
        outer, self.scope = self.scope, _Scope(node, self.scope)
        self.generic_visit(node)
        self.scope = outer

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _visit_function

    # sinks --------------------------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call):
        name = _called_name(node)
        if name and not _is_other_receiver(node):
            for sink, value in _sink_values(name, node):
                self._require(node, sink, value)
        for kw in node.keywords:
            if kw.arg == "help" and name is not None and name not in {"esc", "t"}:
                self._require(node, f"{name}(help=)", kw.value)
            if kw.arg == "unsafe_allow_html" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                self.findings.append(Finding(self.path, node.lineno, "unsafe_allow_html", ast.unparse(node)[:120]))
        if name == "html" and isinstance(node.func, ast.Attribute) and not self._marked(node):
            self.findings.append(Finding(self.path, node.lineno, "st.html", ast.unparse(node)[:120]))
        self.generic_visit(node)

    def _require(self, call: ast.Call, sink: str, value: ast.AST) -> None:
        if self._safe(value, set()) or self._marked(call):
            return
        self.findings.append(Finding(self.path, value.lineno, sink, ast.unparse(value)[:120]))

    def _marked(self, node: ast.AST) -> bool:
        end = getattr(node, "end_lineno", node.lineno)
        return any(MARKER in self.lines[i - 1] for i in range(node.lineno, end + 1))

    # safety -------------------------------------------------------------------------------------------
    def _safe(self, node, seen: set, scope: _Scope | None = None) -> bool:
        scope = scope or self.scope
        if node is None:
            return False
        if isinstance(node, _Element):
            return self._safe_element(node, seen, scope)
        if isinstance(node, _LambdaBody):
            return self._safe_lambda(node.fn, seen, scope)
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.JoinedStr):
            return all(self._safe(v.value, seen, scope) for v in node.values if isinstance(v, ast.FormattedValue))
        if isinstance(node, ast.BinOp):
            return self._safe(node.left, seen, scope) and self._safe(node.right, seen, scope)
        if isinstance(node, ast.IfExp):
            return self._safe(node.body, seen, scope) and self._safe(node.orelse, seen, scope)
        if isinstance(node, ast.BoolOp):
            return all(self._safe(v, seen, scope) for v in node.values)
        if isinstance(node, ast.Compare | ast.UnaryOp):
            return True
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return all(self._safe(e, seen, scope) for e in node.elts)
        if isinstance(node, ast.ListComp | ast.GeneratorExp):
            return self._safe_comprehension(node, seen, scope)
        if isinstance(node, ast.Name):
            return self._safe_name(node.id, seen, scope)
        if isinstance(node, ast.Attribute):
            return node.attr.isupper()  # a module constant (backup.KEEP_DAYS)
        if isinstance(node, ast.Subscript):
            return self._constant_table(node.value, seen, scope)
        if isinstance(node, ast.Call):
            return self._safe_call(node, seen, scope)
        return False

    def _safe_call(self, node: ast.Call, seen: set, scope) -> bool:
        name = _called_name(node)
        if name == "t" or name == "translate":
            return all(self._safe(kw.value, seen, scope) for kw in node.keywords if kw.arg != "default")
        if name in SAFE_CALLS:
            return True
        if name == "join" and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Constant):
            return len(node.args) == 1 and self._safe(node.args[0], seen, scope)
        if name == "filter" and len(node.args) == 2:
            return self._safe(node.args[1], seen, scope)
        if name == "get" and isinstance(node.func, ast.Attribute):  # ICONS.get(kind, "") of a literal table
            return self._constant_table(node.func.value, seen, scope) and \
                all(self._safe(a, seen, scope) for a in node.args[1:])
        return False

    def _constant_table(self, node, seen: set, scope) -> bool:
        """A name bound only to dict literals whose values are all safe (a table of icons, say)."""
        if not isinstance(node, ast.Name):
            return False
        values = _resolve(node.id, scope)
        return bool(values) and all(isinstance(v, ast.Dict) and all(self._safe(x, seen, scope) for x in v.values)
                                    for v in values)

    def _safe_name(self, name: str, seen: set, scope: _Scope | None) -> bool:
        key = (id(scope), name)
        if key in seen:
            return True  # a cycle (x += ...): the other assignments decide
        seen = seen | {key}
        while scope is not None:
            if name in scope.values:
                return all(self._safe(v, seen, scope) for v in scope.values[name])
            if name in scope.params:
                return False
            scope = scope.parent
        return False

    def _safe_element(self, element: _Element, seen: set, scope) -> bool:
        source = element.source
        if isinstance(source, _Element):
            return self._safe_element(source, seen, scope)
        if isinstance(source, ast.List | ast.Tuple):
            items = source.elts
            if element.index is None:
                return all(self._safe(e, seen, scope) for e in items)
            return all(self._safe(e.elts[element.index], seen, scope) if isinstance(e, ast.Tuple | ast.List)
                       and element.index < len(e.elts) else self._safe(e, seen, scope) for e in items)
        if isinstance(source, ast.Name):
            values = _resolve(source.id, scope)
            return bool(values) and all(self._safe_element(_Element(v, element.index), seen, scope)
                                        for v in values)
        return False

    def _safe_lambda(self, fn: ast.Lambda, seen: set, scope) -> bool:
        inner = _Scope(fn, scope)
        defaults = fn.args.defaults  # lambda s, f=field: ... -- a default is as safe as its value
        for arg, default in zip(fn.args.args[len(fn.args.args) - len(defaults):], defaults, strict=True):
            inner.params.discard(arg.arg)
            inner.values[arg.arg] = [default]
        return self._safe(fn.body, seen, inner)

    def _safe_comprehension(self, node, seen: set, scope) -> bool:
        inner = _Scope(ast.Module(body=[], type_ignores=[]), scope)
        for gen in node.generators:
            inner._bind(gen.target, _Element(gen.iter))
        return self._safe(node.elt, seen, inner)


def _resolve(name: str, scope: _Scope | None):
    while scope is not None:
        if name in scope.values:
            return scope.values[name]
        if name in scope.params:
            return []
        scope = scope.parent
    return []


def _called_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _is_other_receiver(node: ast.Call) -> bool:
    """``logger.error(...)``, ``"x".title()``, ``buffer.write(...)``: same names, not Streamlit."""
    func = node.func
    if not isinstance(func, ast.Attribute):
        return _called_name(node) not in ("nav_link",)
    receiver = func.value
    if isinstance(receiver, ast.Constant):
        return True
    return isinstance(receiver, ast.Name) and receiver.id in NOT_STREAMLIT


def _arg(node: ast.Call, index: int, keyword: str):
    for kw in node.keywords:
        if kw.arg == keyword:
            return kw.value
    if len(node.args) > index and not isinstance(node.args[index], ast.Starred):
        return node.args[index]
    return None


def _sink_values(name: str, node: ast.Call):
    """(sink description, value node) pairs for one call."""
    if name in BODY:
        body = _arg(node, 0, "body")
        if body is None:
            body = _arg(node, 0, "label") or _arg(node, 0, "text")
        if body is not None and (node.args or node.keywords):
            yield f"st.{name} body", body
    if name in LABELLED:
        label = _arg(node, 0, "label")
        if name == "dialog":
            label = _arg(node, 0, "title")
        if label is not None:
            if name == "tabs" or isinstance(label, ast.List):
                yield f"st.{name} labels", label
            else:
                yield f"st.{name} label", label
    if name == "tabs":
        tabs = _arg(node, 0, "tabs")
        if tabs is not None:
            yield "st.tabs labels", tabs
    if name in LABEL_KEYWORD_ONLY:
        label = next((kw.value for kw in node.keywords if kw.arg == LABEL_KEYWORD_ONLY[name]), None)
        if label is not None:
            yield f"{name}({LABEL_KEYWORD_ONLY[name]}=)", label
    if name in MARKDOWN_OPTIONS:
        fmt = next((kw.value for kw in node.keywords if kw.arg == "format_func"), None)
        if isinstance(fmt, ast.Lambda):
            yield f"st.{name} format_func", _LambdaBody(fmt)
        elif fmt is not None:
            yield f"st.{name} format_func", fmt
        else:
            options = _arg(node, 1, "options")
            if options is not None:
                yield f"st.{name} options", options


class _LambdaBody(ast.AST):
    """A lambda's result, checked in the lambda's own scope (its parameters are not safe)."""

    _fields = ()

    def __init__(self, fn: ast.Lambda):
        super().__init__()
        self.fn = fn
        self.lineno = fn.lineno
        self.end_lineno = fn.end_lineno


def check_source(source: str, path: str = "<string>") -> list[Finding]:
    checker = Checker(path, source)
    checker.visit(ast.parse(source))
    return checker.findings


def ui_files() -> list[Path]:
    files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "components").glob("*.py"))]
    return [f for f in files if f.name != "text.py"]


def check_tree() -> list[Finding]:
    out = []
    for path in ui_files():
        out.extend(check_source(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT))))
    return out


if __name__ == "__main__":
    for finding in check_tree():
        print(finding)
