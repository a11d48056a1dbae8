"""Canaries for the live schema fuzzing: private data, each piece carrying a unique string, that some role may not see.

Seeded through the services on the tickets world (tests/tickets/conftest.py), before the fuzzing starts:

    own_ticket     op_a's private ticket (Desa A, ForSID Lombok Timur)  seen by op_a and vol_lotim, not anonymous
    own_note       vol_lotim's internal note on it                       seen by vol_lotim only
    desa_b_ticket  op_b's private ticket (Desa B, ForSID Lombok Timur)   seen by vol_lotim, not op_a (another desa)
    bima_*         a private ticket of Desa Sondosia (ForSID Bima): its title, a reply, an internal note, an
                   attachment's name, and a canned reply of ForSID Bima; none of the three fuzzing roles sees these
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from helpdesk.core.uploads import check_upload
from helpdesk.tickets import services
from helpdesk.tickets.canned import canned_create
from tests.tickets.conftest import World, png_bytes

# The labels each fuzzing role may not see (anything not listed is the role's own business).
HIDDEN: dict[str, frozenset[str]] = {
    "anon": frozenset({"own_ticket", "own_note", "desa_b_ticket", "bima_ticket", "bima_reply", "bima_note",
                       "bima_file", "bima_canned"}),
    "op": frozenset({"own_note", "desa_b_ticket", "bima_ticket", "bima_reply", "bima_note", "bima_file",
                     "bima_canned"}),
    "vol": frozenset({"bima_ticket", "bima_reply", "bima_note", "bima_file", "bima_canned"}),
}
# What the role may see, and the canary sweep must therefore find: proof that the sweep reaches the objects.
SEEN: dict[str, frozenset[str]] = {
    "anon": frozenset(),
    "op": frozenset({"own_ticket"}),
    "vol": frozenset({"own_ticket", "own_note", "desa_b_ticket"}),
}


@dataclass(frozen=True)
class Canaries:
    text: dict[str, str]  # label -> its unique string
    tickets: tuple[int, ...]
    messages: tuple[int, ...]
    attachments: tuple[int, ...]
    forums: tuple[int, ...]
    canned: int
    own_ticket: int
    desa_b_ticket: int
    bima_ticket: int

    def hidden_from(self, role: str) -> dict[str, str]:
        return {label: self.text[label] for label in HIDDEN[role]}

    def ids_for(self, parameter: str) -> tuple[int, ...]:
        """The ids worth trying for a path or query parameter of this name."""
        by_name: Mapping[str, tuple[int, ...]] = {
            "ticket_id": self.tickets, "attachment_id": self.attachments, "forum_id": self.forums,
            "forum": self.forums, "message": self.messages, "message_id": self.messages,
        }
        return by_name.get(parameter, tuple(sorted({*self.tickets, *self.messages, *self.attachments})))


def found(text: str, canaries: Mapping[str, str]) -> list[str]:
    """The labels of the canaries that appear in `text`."""
    return sorted(label for label, canary in canaries.items() if canary in text)


def response_text(content: bytes, headers: Mapping[str, Iterable[str]]) -> str:
    """A response as one string: its body decoded (a binary body as far as it decodes) and its header values,
    where an attachment's name would travel (Content-Disposition)."""
    return "\n".join([content.decode("utf-8", "replace"), *(v for values in headers.values() for v in values)])


def seed(world: World) -> Canaries:
    run = secrets.token_hex(4)
    text = {label: f"KANARI-{label.replace('_', '-').upper()}-{run}" for label in (*HIDDEN["anon"],)}
    own = world.ticket(reporter=world.op_a, title=f"Data ganda {text['own_ticket']}",
                       description=f"Rincian {text['own_ticket']}")
    note = services.message_create(ticket=own, author=world.vol_lotim, body=f"Catatan {text['own_note']}",
                                   internal=True)
    desa_b = world.ticket(reporter=world.op_b, title=f"Cetak surat {text['desa_b_ticket']}",
                          description=f"Rincian {text['desa_b_ticket']}")
    bima = world.ticket(reporter=world.op_bima, title=f"Impor gagal {text['bima_ticket']}",
                        description=f"Rincian {text['bima_ticket']}")
    reply = services.message_create(ticket=bima, author=world.vol_bima, body=f"Balasan {text['bima_reply']}")
    bima_note = services.message_create(ticket=bima, author=world.vol_bima, body=f"Catatan {text['bima_note']}",
                                        internal=True)
    attachment = services.attachment_add(
        ticket=bima, actor=world.op_bima,
        checked=check_upload(f"{text['bima_file']}.png", io.BytesIO(png_bytes())),
    )
    canned = canned_create(actor=world.vol_bima, forum=world.bima, title=f"Salam {text['bima_canned']}",
                           body=f"Halo {text['bima_canned']}")
    return Canaries(
        text=text, tickets=(own.pk, desa_b.pk, bima.pk), messages=(note.pk, reply.pk, bima_note.pk),
        attachments=(attachment.pk,), forums=(world.lotim.pk, world.bima.pk), canned=canned.pk, own_ticket=own.pk,
        desa_b_ticket=desa_b.pk, bima_ticket=bima.pk,
    )
