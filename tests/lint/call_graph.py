#!/usr/bin/env python3
"""No circle among husk's C files: reads every .c under the given directories, finds which file
defines each non-static function and which files call it, and prints every group of files that
call each other in a circle (a strongly connected component of the file-level call graph).
Exit status 1 when there is one. Usage: tests/lint/call_graph.py src libocispec"""
import os
import re
import sys

DEFINITION = re.compile(r"^(?!static)[a-z][\w \*]*?\b([a-z_][a-z0-9_]*)\(", re.M)
CALL = re.compile(r"\b([a-z_][a-z0-9_]*)\s*\(")


def sources(roots):
    for root in roots:
        for directory, _, names in os.walk(root):
            for name in sorted(names):
                if name.endswith(".c"):
                    yield os.path.join(directory, name)


def without_comments_and_strings(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r'"(\\.|[^"\\])*"', '""', text)


def graph(roots):
    texts = {f: without_comments_and_strings(open(f).read()) for f in sources(roots)}
    defined_in = {}
    for f, text in texts.items():
        for m in DEFINITION.finditer(text):
            line = text[m.start():text.index("\n", m.end())]
            if not line.rstrip().endswith(";"):  # a definition, not a declaration
                defined_in.setdefault(m.group(1), f)
    edges = {f: set() for f in texts}
    for f, text in texts.items():
        for m in CALL.finditer(text):
            g = defined_in.get(m.group(1))
            if g is not None and g != f:
                edges[f].add(g)
    return edges


def circles(edges):
    """Tarjan's strongly connected components of more than one file."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


if __name__ == "__main__":
    groups = circles(graph(sys.argv[1:] or ["src", "libocispec"]))
    for group in groups:
        print("call circle:", " ".join(group))
    sys.exit(1 if groups else 0)
