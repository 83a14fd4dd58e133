"""The status bar's line about a run, made from the study's Summary (no lock, no trials)."""

from __future__ import annotations

from engine.study import Summary


def with_savings(counts_text: str, summary: Summary) -> str:
    """The trial counts, then the compute pruning saved once a trial was pruned:
    ``"… · 3 pruned · 312 of 1,000 epochs run; 69% saved"``."""
    if not summary.savings_text:
        return counts_text
    return f"{counts_text} · {summary.savings_text}"
