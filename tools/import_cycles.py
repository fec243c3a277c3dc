"""Print every import circle inside a package (strongly connected modules of its import
graph, as grimp builds it: imports inside functions count too, imports under
`if TYPE_CHECKING:` do not: they never run, and a part typed by the object that owns it
(the canvas's gestures, the window's commands) needs one); exit 1 if there is one.

    .venv/bin/python tools/import_cycles.py [ocrstudio]
"""

from __future__ import annotations

import sys

import grimp


def import_cycles(package: str = "ocrstudio") -> list[list[str]]:
    """Each circle as the sorted list of its modules (Tarjan's algorithm, iterative)."""
    graph = grimp.build_graph(package, cache_dir=None, exclude_type_checking_imports=True)
    modules = sorted(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & graph.modules) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in modules:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        m = stack.pop()
                        on_stack.discard(m)
                        component.append(m)
                        if m == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(edges[child])))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return sorted(found)


def main(argv: list[str]) -> int:
    package = argv[0] if argv else "ocrstudio"
    cycles = import_cycles(package)
    for cycle in cycles:
        print(f"{len(cycle)} modules: {' <-> '.join(cycle)}")
    print(f"{package}: {len(cycles)} import circle(s)")
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
