"""One micro-batch of the stream, decided in plain Python: which lines are bar inputs, which go to the
quarantine and why, and the watermark of the next batch.

The watermark of batch N is (the greatest event time of the messages accepted by batches 0..N-1) minus
the delay; batch 0 of a stream has none. A message whose event time is before the watermark is late: it
is quarantined with the reason, never dropped. Everything else is accepted, and its minute's bar is
(re)computed from every accepted message of that minute, so a late-but-within-watermark message updates
its bar. The decision depends only on earlier batches, so a replayed batch decides the same way.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from optlake.streaming.messages import Instrument, Message, Rejected, late_reason, parse_line


@dataclass(frozen=True)
class Line:
    """One line of a landed file: where it came from (file name, 1-based line number) and its text."""

    file_name: str
    line_number: int
    text: str


@dataclass
class BatchResult:
    accepted: list[tuple[Line, Message]] = field(default_factory=list)
    quarantined: list[tuple[Line, Rejected]] = field(default_factory=list)

    @property
    def read(self) -> int:
        return len(self.accepted) + len(self.quarantined)

    def counts(self) -> dict[str, int]:
        """Messages read, accepted per type, quarantined (and how many of them were late)."""
        kinds = Counter(m.type for _, m in self.accepted)
        late = sum(1 for _, r in self.quarantined if r.reason.startswith("late:"))
        return {
            "read": self.read,
            **{k: kinds.get(k, 0) for k in ("trade", "quote", "bar")},
            "quarantined": len(self.quarantined),
            "late": late,
        }

    def max_event_ns(self) -> int | None:
        return max((m.event_time_ns for _, m in self.accepted), default=None)


def split_lines(file_name: str, content: str) -> list[Line]:
    """The non-blank lines of a file with their 1-based numbers (blank lines carry no message)."""
    return [Line(file_name, i, text) for i, text in enumerate(content.splitlines(), 1) if text.strip()]


def watermark(max_event_ns: int | None, delay_ns: int) -> int | None:
    return None if max_event_ns is None else max_event_ns - delay_ns


def classify(lines: list[Line], instruments: dict[str, Instrument], watermark_ns: int | None) -> BatchResult:
    """Parse every line; accept the valid, on-time messages; quarantine the rest with a reason."""
    result = BatchResult()
    for line in lines:
        parsed = parse_line(line.text, instruments)
        if isinstance(parsed, Rejected):
            result.quarantined.append((line, parsed))
        elif reason := late_reason(parsed, watermark_ns):
            result.quarantined.append((line, Rejected(reason, parsed.ts_event_ns)))
        else:
            result.accepted.append((line, parsed))
    return result
