"""Dependencies point one way (README, "How the code is laid out"): no module imports a layer above its own.

The layers, lowest first. `seed_demo`, which builds and runs everything once (the reminders included), is the one
module allowed to look up."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = [
    "volunteer_portal.branches",
    "volunteer_portal.jobs",
    "activities",
    "beneficiaries",
    "volunteer_portal.selfservice",
    "volunteer_portal.dashboards",
    "volunteer_portal.reports",
    "volunteer_portal.reminders",
]
ALLOWED_TO_LOOK_UP = {"volunteer_portal/reports/management/commands/seed_demo.py"}


def layer_of(module: str) -> int | None:
    for index, layer in enumerate(LAYERS):
        if module == layer or module.startswith(layer + "."):
            return index
    return None


def imported(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


def upward_imports() -> list[str]:
    found = []
    for path in sorted(ROOT.glob("**/*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {".venv", "tests", "scripts"} or str(relative) in ALLOWED_TO_LOOK_UP:
            continue
        own = layer_of(".".join(relative.with_suffix("").parts))
        if own is None:
            continue
        for name in imported(path):
            other = layer_of(name)
            if other is not None and other > own:
                found.append(f"{relative} imports {name}")
    return found


def test_no_module_imports_a_layer_above_its_own():
    assert upward_imports() == []


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    """The check itself can fail: a file of `activities` importing the dashboards is reported."""
    module = tmp_path / "activities" / "stray.py"
    module.parent.mkdir()
    module.write_text("from volunteer_portal.dashboards.figures import rollup\n", encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert upward_imports() == ["activities/stray.py imports volunteer_portal.dashboards.figures"]
