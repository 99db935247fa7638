"""The core never imports Qt or the UI (napari-style import contract)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_linter_contract_holds() -> None:
    linter = Path(sys.executable).parent / "lint-imports"
    assert linter.exists() or shutil.which("lint-imports"), "import-linter is a test dependency"
    result = subprocess.run([str(linter if linter.exists() else "lint-imports")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_no_core_module_mentions_qt_even_lazily() -> None:
    # import-linter sees function-level imports too, but this also covers files it skips.
    offenders = {p.name: _imports(p) & {"PySide6", "ui", "PyQt6", "PyQt5", "shiboken6"}
                 for p in (ROOT / "triage").rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_core_imports_without_qt_installed(tmp_path: Path) -> None:
    # Run the core with PySide6 made unimportable: the CLI must still work.
    blocker = tmp_path / "PySide6"
    blocker.mkdir()
    (blocker / "__init__.py").write_text("raise ImportError('Qt is not available here')\n")
    code = "import triage.cli, triage.pipeline, triage.store, triage.parse, triage.outlook; print('ok')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={"PYTHONPATH": f"{tmp_path}:{ROOT}"}, timeout=60)
    assert result.stdout.strip() == "ok", result.stderr
