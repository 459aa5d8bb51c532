"""Atom 1.0 (RFC 4287) for a saved search's feed, built with ElementTree (escaped)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

NS = "http://www.w3.org/2005/Atom"


@dataclass
class Entry:
    id: str
    title: str
    link: str
    updated: datetime | None
    summary: str


def _stamp(value: datetime | None) -> str:
    value = value or datetime(1970, 1, 1, tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def render(*, title: str, feed_id: str, link: str, entries: list[Entry]) -> bytes:
    """The feed document: newest entry's time as the feed's ``updated``."""
    ET.register_namespace("", NS)
    feed = ET.Element(f"{{{NS}}}feed")
    ET.SubElement(feed, f"{{{NS}}}title").text = title
    ET.SubElement(feed, f"{{{NS}}}id").text = feed_id
    ET.SubElement(feed, f"{{{NS}}}link", href=link, rel="alternate", type="text/html")
    newest = max((e.updated for e in entries if e.updated), default=None)
    ET.SubElement(feed, f"{{{NS}}}updated").text = _stamp(newest)
    author = ET.SubElement(feed, f"{{{NS}}}author")
    ET.SubElement(author, f"{{{NS}}}name").text = "OMK"
    for e in entries:
        item = ET.SubElement(feed, f"{{{NS}}}entry")
        ET.SubElement(item, f"{{{NS}}}id").text = e.id
        ET.SubElement(item, f"{{{NS}}}title").text = e.title
        ET.SubElement(item, f"{{{NS}}}link", href=e.link, rel="alternate", type="text/html")
        ET.SubElement(item, f"{{{NS}}}updated").text = _stamp(e.updated)
        ET.SubElement(item, f"{{{NS}}}summary").text = e.summary
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))
