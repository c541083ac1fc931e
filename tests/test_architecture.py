"""The floors hold: imports point down, errors live in one tree, private names stay home.

The layer contracts themselves are checked by import-linter (``lint-imports`` in
``.ci/run``, configured in ``pyproject.toml``); these tests hold the rules that
import-linter cannot express.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pickle
import pkgutil
from pathlib import Path

import pytest

import feedbackloop
from feedbackloop import errors

SRC = Path(feedbackloop.__file__).parent

# The only internal imports allowed inside functions: public convenience methods whose
# body is one import and one delegating call to a higher floor (xarray's Dataset.to_netcdf).
# (module, function qualname) -> the module it delegates to.
DELEGATIONS: dict[tuple[str, str], str] = {
    ("feedbackloop.model._loop", "FeedbackLoop.attachments"): "feedbackloop.planning",
    ("feedbackloop.series._frame", "IndicatorSeries.suppress"): "feedbackloop.privacy",
    ("feedbackloop.series._frame", "IndicatorSeries.export"): "feedbackloop.privacy",
    ("feedbackloop.series._frame", "IndicatorSeries.lazy"): "feedbackloop.engines",
    ("feedbackloop.series._frame", "IndicatorSeries.to_excel"): "feedbackloop.workbook",
    ("feedbackloop.spc._charts", "SpcChart.plot"): "feedbackloop.plot",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _internal(node: ast.AST) -> str | None:
    if isinstance(node, ast.ImportFrom):
        if node.level:
            return "(relative)"
        mod = node.module or ""
        return mod if mod == "feedbackloop" or mod.startswith("feedbackloop.") else None
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name == "feedbackloop" or alias.name.startswith("feedbackloop."):
                return alias.name
    return None


def _functions(tree: ast.AST) -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    out: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                walk(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                out.append((f"{prefix}{child.name}", child))
                walk(child, f"{prefix}{child.name}.")
            else:
                walk(child, prefix)

    walk(tree, "")
    return out


def _function_imports() -> dict[tuple[str, str], list[tuple[int, str]]]:
    found: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for path in sorted(SRC.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for qualname, fn in _functions(tree):
            # nested functions are reported under their own name
            nested = {
                id(n)
                for sub in ast.walk(fn)
                if sub is not fn and isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef)
                for n in ast.walk(sub)
            }
            direct = [
                (n.lineno, t)
                for stmt in fn.body
                for n in ast.walk(stmt)
                if id(n) not in nested and (t := _internal(n))
            ]
            if direct:
                found[(module, qualname)] = direct
    return found


def test_no_internal_imports_inside_functions_but_the_delegations() -> None:
    found = _function_imports()
    unexpected = {
        f"{mod}:{line} {name}() imports {target}"
        for (mod, name), items in found.items()
        if (mod, name) not in DELEGATIONS
        for line, target in items
    }
    assert not unexpected, (
        "internal imports inside functions (move them to module level, or move the code "
        "to the floor it belongs on; see docs/architecture.md):\n" + "\n".join(sorted(unexpected))
    )


@pytest.mark.parametrize(("where", "target"), sorted(DELEGATIONS.items()))
def test_each_allowed_delegation_is_one_import_and_one_call(
    where: tuple[str, str], target: str
) -> None:
    module, qualname = where
    tree = ast.parse((SRC.parent / (module.replace(".", "/") + ".py")).read_text())
    fn = dict(_functions(tree))[qualname]
    body = list(fn.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    assert len(body) == 2, f"{module}.{qualname} must be one import and one delegating call"
    imp, ret = body
    assert isinstance(imp, ast.ImportFrom) and imp.module == target
    assert isinstance(ret, ast.Return) and isinstance(ret.value, ast.Call)
    assert not qualname.split(".")[-1].startswith("_"), "only public methods may delegate up"


def test_private_names_never_leave_their_package() -> None:
    leaks = []
    for path in sorted(SRC.rglob("*.py")):
        module = _module_name(path)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith(
                "feedbackloop"
            ):
                continue
            source = node.module or ""
            names = [a.name for a in node.names]
            # a private module of another package, or a private name from another module
            parts = source.split(".")
            for i, part in enumerate(parts):
                if part.startswith("_") and part != "__init__":
                    owner = ".".join(parts[:i])
                    if owner != "feedbackloop" and not (
                        package == owner or package.startswith(owner + ".")
                    ):
                        leaks.append(f"{module} imports private module {source}")
                    break
            for name in names:
                if name.startswith("_") and not name.startswith("__"):
                    src_pkg = source.rpartition(".")[0] if source != package else source
                    if not (package == src_pkg or package.startswith(src_pkg + ".")):
                        leaks.append(f"{module} imports private name {source}.{name}")
    assert not leaks, "\n".join(sorted(leaks))


def _all_modules() -> list[str]:
    names = ["feedbackloop"]
    for info in pkgutil.walk_packages(feedbackloop.__path__, "feedbackloop."):
        if ".examples.generate" in info.name:
            continue
        names.append(info.name)
    return names


def _error_classes() -> set[type[BaseException]]:
    found: set[type[BaseException]] = set()
    for name in _all_modules():
        try:
            mod = importlib.import_module(name)
        except errors.MissingDependencyError:  # pragma: no cover - optional extra missing
            continue
        for _, obj in inspect.getmembers(mod, inspect.isclass):
            if (
                issubclass(obj, BaseException)
                and not issubclass(obj, Warning)
                and not obj.__name__.startswith("_")
                and obj.__module__.startswith("feedbackloop")
            ):
                found.add(obj)
    return found


def test_every_error_class_lives_in_errors_and_in_its_tree() -> None:
    tree = errors.__doc__ or ""
    for cls in _error_classes():
        assert cls.__module__ == "feedbackloop.errors", f"{cls.__qualname__} is in {cls.__module__}"
        assert cls.__name__ in errors.__all__, cls.__name__
        assert f" {cls.__name__}" in tree, f"{cls.__name__} is missing from the errors tree"
        assert issubclass(cls, errors.FeedbackloopError), cls.__name__


def test_every_name_in_the_tree_exists() -> None:
    tree = errors.__doc__ or ""
    drawn = {
        line.split("──", 1)[1].split()[0].split("(")[0]
        for line in tree.splitlines()
        if "──" in line
    }
    assert drawn <= set(errors.__all__), drawn - set(errors.__all__)
    public = {n for n in errors.__all__ if isinstance(getattr(errors, n), type)} - {"Problem"}
    roots = {"FeedbackloopError", "FeedbackloopWarning"}
    assert public - roots <= drawn, (public - roots) - drawn


def test_one_unknown_audience_error() -> None:
    from feedbackloop import agreements, planning, privacy

    assert agreements.UnknownAudienceError is errors.UnknownAudienceError
    assert planning.UnknownAudienceError is errors.UnknownAudienceError
    assert privacy.UnknownAudienceError is errors.UnknownAudienceError
    err = errors.UnknownAudienceError("press", ["public"], agreement="mentoring")
    assert isinstance(err, KeyError) and isinstance(err, PermissionError)
    assert isinstance(err, ValueError)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is errors.UnknownAudienceError
    assert (back.audience, back.known, back.agreement) == ("press", ("public",), "mentoring")
    assert str(back) == str(err)


@pytest.mark.parametrize(
    "cls",
    sorted(
        (getattr(errors, n) for n in errors.__all__ if isinstance(getattr(errors, n), type)),
        key=lambda c: c.__name__,
    ),
    ids=lambda c: c.__name__,
)
def test_every_error_pickles_with_its_type_and_message(cls: type) -> None:
    if not issubclass(cls, BaseException) or issubclass(cls, Warning):
        pytest.skip("not an error")
    err = _example(cls)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is cls
    assert str(back) == str(err)


def _example(cls: type[BaseException]) -> BaseException:
    """An instance of ``cls`` built from its signature with plausible arguments."""
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    args: list[object] = []
    kwargs: dict[str, object] = {}
    samples: dict[str, object] = {
        "problems": [errors.Problem("rows[2]", "must be a number")],
        "known": ["public"],
        "available": ["csv"],
        "suggestions": ["B01001_001E"],
        "missing": ["2022/acs/acs5?get=NAME"],
        "page": 3,
        "status": 500,
        "rejected": None,
    }
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            if p.kind is p.VAR_POSITIONAL and not args:
                args.append("something went wrong")
            continue
        value = samples.get(p.name, f"<{p.name}>")
        if p.kind is p.KEYWORD_ONLY:
            kwargs[p.name] = value
        else:
            args.append(value)
    return cls(*args, **kwargs)
