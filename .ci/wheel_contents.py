"""Run by wheel_check.sh: the wheel holds the code and every file Knobs reads at run time,
under the names pyproject.toml gives them, and nothing of the repository besides."""

import re
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
wheel = zipfile.ZipFile(sys.argv[1])
names = set(wheel.namelist())

expected = {f"knobs_resources/{p.relative_to(REPO / 'resources').as_posix()}"
            for p in (REPO / "resources").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
            and p.suffix not in (".knobs", ".pt") and not p.name.endswith(("-wal", "-shm"))}
guide = (REPO / "docs" / "user-guide.md").read_text(encoding="utf-8")
expected.add("knobs_resources/docs/user-guide.md")
expected |= {f"knobs_resources/docs/{image}"
             for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", guide)}
expected |= {p.relative_to(REPO).as_posix() for top in ("engine", "desktop")
             for p in (REPO / top).rglob("*.py") if "__pycache__" not in p.parts}
missing = sorted(expected - names)
assert not missing, f"missing from the wheel: {missing}"

tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
assert tops == {"engine", "desktop", "knobs_resources"}, f"unexpected top-level names: {tops}"
entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
assert "knobs = desktop.launch:main" in wheel.read(entry_points).decode(), "no knobs command"
print(f"wheel check: {Path(sys.argv[1]).name} holds {len(names)} files, all expected ones")
