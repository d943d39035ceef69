"""No two modules of apps/ and agentplatform/ import each other, directly or through others.

The import graph is read from the source with `ast`: every `import` counts, at
module level or inside a function (a function-level import hides a circle, it
does not remove it).
"""

import ast
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("apps", "agentplatform")


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(tree: ast.AST, module: str, is_package: bool) -> Iterable[str]:
    """Dotted names each import statement may load (`from a import b` may load the module a.b)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, node.module] if node.module else package)
            else:
                base = node.module or ""
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, set[str]]:
    """Each module of `packages` under `root` -> the modules of those packages it imports."""
    files = {module_name(root, path): path for package in packages for path in (root / package).rglob("*.py")}

    def own_module(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for module, path in files.items():
        names = imported_names(ast.parse(path.read_text()), module, path.name == "__init__.py")
        # `from a.b import c` loads a.b whether c is a module or a name in it.
        targets = {own_module(name) for name in names} - {None}
        # Importing a.b runs the package a's __init__ first; a module's own packages ran
        # before it did, and an empty __init__ cannot close a circle.
        targets |= {package for target in targets for package in _packages(target)}
        targets -= set(_packages(module))
        graph[module] = {t for t in targets if t in files and t != module and not _is_empty_package(files[t])}
    return graph


def _packages(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts))]


def _is_empty_package(path: Path) -> bool:
    return path.name == "__init__.py" and not path.read_text().strip()


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = lowlink[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                lowlink[module] = min(lowlink[module], lowlink[target])
            elif target in on_stack:
                lowlink[module] = min(lowlink[module], index[target])
        if lowlink[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(circles)


def describe(circles: list[list[str]], graph: dict[str, set[str]]) -> str:
    lines = []
    for circle in circles:
        lines.append(" / ".join(circle))
        lines.extend(f"    {m} -> {', '.join(sorted(graph[m] & set(circle)))}" for m in circle)
    return "\n".join(lines)


def test_the_scanner_finds_a_circle_closed_by_a_function_level_import(tmp_path: Path) -> None:
    package = tmp_path / "apps"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from apps.b import thing\n")
    (package / "b.py").write_text("thing = 1\n\ndef later():\n    from . import a\n")
    (package / "c.py").write_text("import apps.a\n")
    graph = import_graph(tmp_path, ["apps"])
    assert import_circles(graph) == [["apps.a", "apps.b"]]


def test_the_scanner_counts_the_package_init_an_import_runs(tmp_path: Path) -> None:
    package = tmp_path / "apps"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from apps import d\n")
    (package / "sub" / "x.py").write_text("from . import y\n")
    (package / "sub" / "y.py").write_text("")
    (package / "d.py").write_text("from apps.sub.x import y\n")
    graph = import_graph(tmp_path, ["apps"])
    assert import_circles(graph) == [["apps.d", "apps.sub"]]


def test_no_import_circle() -> None:
    graph = import_graph(ROOT)
    circles = import_circles(graph)
    assert not circles, "import circles:\n" + describe(circles, graph)
