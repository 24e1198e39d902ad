"""The import graph: no loop, and no arrow from a lower layer to a higher one.

Layers, lowest first (docs/architecture.md draws them); a module may import its own layer
and those below, never above.  The longest matching prefix decides a module's layer.
Function-level imports count for direction (an arrow up is an arrow up, whenever it
runs); loops are checked on module-level imports, which are what runs at import time.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import REPO

LAYERS = [
    # 0: foundations: pure functions, constants, the record contract
    ("newsbot", "newsbot.exitcodes", "newsbot.component", "newsbot.output", "newsbot.dbfile", "newsbot.urls",
     "newsbot.dates", "newsbot.text", "newsbot.normalize", "newsbot.identity", "newsbot.regions", "newsbot.topics",
     "newsbot.schema", "newsbot.items", "newsbot.latest", "newsbot.warc",
     # settings.py: constants only (a leaf), so a default is written once and read anywhere
     "newsbot.settings"),
    # 1: extraction and storage formats (no crawler needed)
    ("newsbot.extract", "newsbot.warc.scan", "newsbot.warc.cdxj", "newsbot.warc.digests", "newsbot.warc.writer",
     "newsbot.warc.index", "newsbot.state.ledger", "newsbot.state.sqlite", "newsbot.state.dupefilter",
     "newsbot.state.jobdir", "newsbot.outputfile", "newsbot.changes"),
    # 2: the crawl's shared services (extensions other components find)
    ("newsbot.state", "newsbot.warc.archive", "newsbot.faults", "newsbot.faults.storage", "newsbot.faults.offline",
     "newsbot.browser", "newsbot.runlock", "newsbot.extensions.accounting", "newsbot.extensions.manifest"),
    # 3: Scrapy components: middlewares, pipelines, extensions, handlers, the cluster
    ("newsbot.state.middleware", "newsbot.faults.downloader", "newsbot.faults.robots", "newsbot.offsite", "newsbot.faults.pipeline", "newsbot.faults.spidermw",
     "newsbot.warc.capture", "newsbot.warc.metadata", "newsbot.warc.replay", "newsbot.warc.handler",
     "newsbot.browser.handler", "newsbot.browser.recorder", "newsbot.browser.pages", "newsbot.browser.middleware",
     "newsbot.pipelines", "newsbot.extensions", "newsbot.downloader", "newsbot.distributed", "newsbot.spiders.walk",
     "newsbot.spiders.discovery"),
    # 4: what every spider shares
    ("newsbot.spiders.base",),
    # 5: one module per CMS: URL rules, page object, spider base
    ("newsbot.cms",),
    # 6: outlets: the registry (data/outlets.toml), the spiders built from it, CMS detection
    ("newsbot.spiders", "newsbot.registry", "newsbot.detect"),
    # 7: re-parse, commands, wiring
    ("newsbot.reparse", "newsbot.commands", "newsbot.addon"),
    # 8: test support
    ("newsbot.testing",),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in (REPO / "newsbot").rglob("*.py")}


def layer(module: str) -> int:
    best, found = -1, None
    for number, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), number
    assert found is not None, f"{module} is in no layer of tests/test_architecture.py"
    return found


def imports(module: str, top_level_only: bool) -> set[str]:
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in MODULES and name != module)
    return found


def test_no_arrow_from_a_lower_layer_to_a_higher_one():
    upward = [f"{m} (layer {layer(m)}) imports {d} (layer {layer(d)})"
              for m in sorted(MODULES) for d in sorted(imports(m, top_level_only=False)) if layer(d) > layer(m)]
    assert upward == []


def test_no_import_loop():
    graph = {m: imports(m, top_level_only=True) for m in MODULES}
    loops, state = [], {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for dep in sorted(graph[module]):
            if state.get(dep) == "open":
                loops.append(" -> ".join(path[path.index(dep):] + [dep]))
            elif dep not in state:
                visit(dep, path + [dep])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert loops == []


def test_no_module_reaches_into_the_crawler_for_private_attributes():
    offenders = [str(p.relative_to(REPO)) for p in MODULES.values() if "crawler._newsbot" in p.read_text(encoding="utf-8")]
    assert offenders == []
