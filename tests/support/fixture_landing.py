"""Turn the copied real payloads into a landing zone (one webhook body per line)."""

from __future__ import annotations

import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PYWA = FIXTURES / "pywa-webhook-updates"
JAVA = FIXTURES / "whatsapp-business-java-api-webhooks"
SEGMENT = FIXTURES / "segment-analytics-go-fixtures"


def pywa_bodies() -> list[tuple[str, str]]:
    """(case name, one-line body) for every payload of every pywa file, in file order."""
    bodies = []
    for path in sorted(PYWA.glob("*.json")):
        for case, body in json.loads(path.read_text()).items():
            bodies.append((f"{path.stem}:{case}", json.dumps(body)))
    return bodies


def java_bodies() -> list[tuple[str, str]]:
    """(file name, one-line body); the malformed file stays malformed, folded onto one line."""
    bodies = []
    for path in sorted(JAVA.glob("*.json")):
        text = path.read_text()
        try:
            bodies.append((path.stem, json.dumps(json.loads(text))))
        except json.JSONDecodeError:
            bodies.append((path.stem, " ".join(text.split())))
    return bodies


def write_whatsapp_landing(landing: Path, arrival: str, bodies: list[tuple[str, str]]) -> Path:
    folder = landing / "whatsapp" / f"dt={arrival}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "fixtures.jsonl"
    path.write_text("".join(body + "\n" for _, body in bodies))
    return path


def write_assistants(landing: Path, rows: list[tuple[str, str, str, str]]) -> None:
    lines = ["assistant_id,name,timezone,whatsapp_phone_number_id"]
    lines += [",".join(row) for row in rows]
    (landing / "assistants.csv").write_text("\n".join(lines) + "\n")
