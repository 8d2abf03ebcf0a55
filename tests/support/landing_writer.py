"""Write given interactions as a landing zone (SPEC §1), the way the two channels deliver them.

Web: one Segment `track` "Chat Message Sent" object per line (plus the assistant's answer,
"Chat Message Received", which is not an interaction). WhatsApp: one Cloud API webhook body
per line, `metadata.phone_number_id` naming the assistant (from the landing's assistants.csv),
`from`/`id`/`timestamp` as strings, plus a `statuses` body per file (not an interaction).

Every delivery names its arrival day (`dt=`) and file, so a test can deliver an interaction
late (under a later dt), or again (a duplicate re-delivery in the same file, another file or
another dt): a re-delivery repeats the message id, user and timestamp exactly.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.support.reference import Interaction

PROJECT_DIR = Path(__file__).resolve().parents[2]
SEED_ASSISTANTS = PROJECT_DIR / "seeds" / "assistants.csv"


@dataclass(frozen=True)
class Assistant:
    assistant_id: str
    name: str
    timezone: str
    whatsapp_phone_number_id: str | None


def read_assistants(path: Path = SEED_ASSISTANTS) -> dict[str, Assistant]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {
            row["assistant_id"]: Assistant(
                row["assistant_id"],
                row["name"],
                row["timezone"],
                row["whatsapp_phone_number_id"] or None,
            )
            for row in csv.DictReader(handle)
        }


def interaction_id(interaction: Interaction, number: int) -> str:
    """A stable id per interaction (its number in the test's history)."""
    digest = hashlib.sha256(
        f"{number}|{interaction.assistant_id}|{interaction.channel}|{interaction.user}|"
        f"{interaction.at.isoformat()}".encode()
    ).hexdigest()
    if interaction.channel == "web":
        return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
    return f"wamid.HBgL{digest[:40].upper()}"


def _web_timestamp(at: datetime, zone: str, number: int) -> str:
    """ISO-8601 with milliseconds: `Z` for even numbers, the local offset for odd ones."""
    if number % 2 == 0:
        return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
            f"{at.microsecond // 1000:03d}Z"
        )
    return at.astimezone(ZoneInfo(zone)).isoformat(timespec="milliseconds")


@dataclass
class LandingWriter:
    """Collect deliveries, then `write()` them as files under `<root>/<channel>/dt=D/`."""

    root: Path
    assistants_source: Path = SEED_ASSISTANTS
    with_noise: bool = True
    _files: dict[tuple[str, date, str], list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.assistants_source, self.root / "assistants.csv")
        self.assistants = read_assistants(self.root / "assistants.csv")

    # ------------------------------------------------------------------ lines

    def web_line(self, interaction: Interaction, number: int) -> str:
        assistant = self.assistants[interaction.assistant_id]
        return json.dumps(
            {
                "type": "track",
                "event": "Chat Message Sent",
                "messageId": interaction_id(interaction, number),
                "anonymousId": interaction.user,
                "timestamp": _web_timestamp(interaction.at, assistant.timezone, number),
                "properties": {
                    "assistant_id": interaction.assistant_id,
                    "conversation_id": f"conv-{interaction.user}",
                    "text": "Hola",
                },
                "context": {"ip": "203.0.113.9", "userAgent": "pytest"},
            }
        )

    def web_answer_line(self, interaction: Interaction, number: int) -> str:
        """The assistant's answer: not an interaction."""
        return json.dumps(
            {
                "type": "track",
                "event": "Chat Message Received",
                "messageId": "answer-" + interaction_id(interaction, number),
                "anonymousId": interaction.user,
                "timestamp": _web_timestamp(interaction.at, "UTC", 0),
                "properties": {"assistant_id": interaction.assistant_id, "text": "Hi!"},
            }
        )

    def _phone_number_id(self, assistant_id: str) -> str:
        phone_number_id = self.assistants[assistant_id].whatsapp_phone_number_id
        if phone_number_id is None:
            raise ValueError(f"{assistant_id} has no WhatsApp number in assistants.csv")
        return phone_number_id

    def whatsapp_line(self, interaction: Interaction, number: int) -> str:
        if interaction.at.microsecond:
            raise ValueError("WhatsApp timestamps are whole Unix seconds")
        return json.dumps(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": "102290129340398",
                        "changes": [
                            {
                                "value": {
                                    "messaging_product": "whatsapp",
                                    "metadata": {
                                        "display_phone_number": "15550783881",
                                        "phone_number_id": self._phone_number_id(
                                            interaction.assistant_id
                                        ),
                                    },
                                    "contacts": [
                                        {
                                            "profile": {"name": "Test Person"},
                                            "wa_id": interaction.user,
                                        }
                                    ],
                                    "messages": [
                                        {
                                            "from": interaction.user,
                                            "id": interaction_id(interaction, number),
                                            "timestamp": str(int(interaction.at.timestamp())),
                                            "type": "text",
                                            "text": {"body": "Hola"},
                                        }
                                    ],
                                },
                                "field": "messages",
                            }
                        ],
                    }
                ],
            }
        )

    def whatsapp_status_line(self, assistant_id: str, at: datetime) -> str:
        """A delivery receipt of the assistant's own message: not an interaction."""
        return json.dumps(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": "102290129340398",
                        "changes": [
                            {
                                "value": {
                                    "messaging_product": "whatsapp",
                                    "metadata": {
                                        "display_phone_number": "15550783881",
                                        "phone_number_id": self._phone_number_id(assistant_id),
                                    },
                                    "statuses": [
                                        {
                                            "id": "wamid.STATUS",
                                            "status": "delivered",
                                            "timestamp": str(int(at.timestamp())),
                                            "recipient_id": "34600000000",
                                        }
                                    ],
                                },
                                "field": "messages",
                            }
                        ],
                    }
                ],
            }
        )

    # ------------------------------------------------------------------ deliveries

    def deliver(
        self, interaction: Interaction, number: int, arrival: date, file: str = "part-0"
    ) -> None:
        """Deliver interaction `number` under `dt=arrival` in `file` (again if called again)."""
        if arrival < interaction.at.astimezone(UTC).date():
            raise ValueError("an interaction cannot arrive before its UTC date")
        lines = self._files.setdefault((interaction.channel, arrival, file), [])
        if interaction.channel == "web":
            lines.append(self.web_line(interaction, number))
            if self.with_noise:
                lines.append(self.web_answer_line(interaction, number))
        else:
            lines.append(self.whatsapp_line(interaction, number))
            if self.with_noise:
                lines.append(self.whatsapp_status_line(interaction.assistant_id, interaction.at))

    def deliver_all(self, interactions: list[Interaction], file: str = "part-0") -> None:
        """Each interaction once, on its UTC date (no late or duplicate delivery)."""
        for number, interaction in enumerate(interactions):
            self.deliver(interaction, number, interaction.at.astimezone(UTC).date(), file)

    def arrival_days(self) -> list[date]:
        return sorted({arrival for _, arrival, _ in self._files})

    def write(self) -> list[Path]:
        """Write (or overwrite) every collected file; return their paths."""
        paths = []
        for (channel, arrival, file), lines in sorted(self._files.items()):
            folder = self.root / channel / f"dt={arrival.isoformat()}"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{file}.jsonl"
            path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
            paths.append(path)
        return paths
