"""Bytes -> text for every input we read: UTF-8, or UTF-8/16/32 with a byte-order mark (as
Windows shells write `terraform show -json > plan.json`). No YAML here: the plan reader uses it too."""

from __future__ import annotations

import codecs

from guardrails.errors import SourceError
from guardrails.model import Location

__all__ = ["decode"]


def decode(raw: bytes, display: str) -> str:
    """Bytes -> text: UTF-8 (with or without BOM) and UTF-16/32 with a BOM."""
    if raw.startswith(b"PK\x03\x04"):  # `terraform plan -out` writes a zip archive
        raise SourceError(
            "a zip archive, not YAML or JSON (a binary Terraform plan?)",
            location=Location(display),
            hint="scan its JSON: terraform show -json plan.out > plan.json",
        )
    for bom, enc in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            try:
                return raw.decode(enc)
            except UnicodeDecodeError as e:
                # A BOM promises an encoding the rest of the file breaks (a cut UTF-16 file, or
                # bytes that merely start like a BOM): say so at the byte, never a traceback.
                raise SourceError(
                    f"not {enc.upper().removesuffix('-SIG')} text after its byte-order mark (byte {e.start})",
                    location=Location(display),
                    hint="save the file as UTF-8",
                ) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise SourceError(
            f"not UTF-8 text (byte {e.start})", location=Location(display, line), hint="save the file as UTF-8"
        ) from None
