"""A study's objectives, limits and Pareto front as lines of text (``knobs show``, ``run``)."""

from __future__ import annotations

from engine.goals import metric_label
from engine.progress import format_params, format_value
from engine.study import Study


def goal_lines(study: Study) -> list[str]:
    """"objectives: accuracy (maximize), fit_time (minimize)" and the constraints."""
    spec = study.spec
    lines = ["objectives: " + ", ".join(
        f"{'the score' if g.metric == 'value' else g.metric} ({g.direction})"
        for g in spec.goals)]
    if spec.constraints:
        lines.append("constraints: " + "; ".join(c.text() for c in spec.constraints))
    return lines


def front_lines(study: Study, top: int | None = None) -> list[str]:
    """The front as a table sorted by the first objective (best first), ``top`` rows at
    most; a line saying why it is empty otherwise."""
    front = study.pareto_front
    done = [t for t in study.trials if t.values]
    if not front:
        if done:
            return [f"No trial meets the constraints yet ({len(done)} complete)."]
        return []
    goals = study.spec.goals
    heads = ["value" if g.metric == "value" else metric_label(g.metric) for g in goals]
    infeasible = sum(1 for t in done if not t.feasible)
    shown = front if top is None else front[:top]
    title = f"Pareto front: {len(front)} trial{'s' if len(front) != 1 else ''}"
    if infeasible:
        title += f" ({infeasible} outside the constraints left out)"
    title += f", sorted by {heads[0]}"
    if len(shown) < len(front):
        title += f"; the first {len(shown)} shown"
    lines = [title + ":"]
    widths = [max(12, len(h)) for h in heads]
    lines.append("  " + "#".ljust(6) + " " + " ".join(
        h.rjust(w) for h, w in zip(heads, widths)) + "  params")
    chosen = study.chosen
    for t in shown:
        cells = " ".join(format_value(v).rjust(w) for v, w in zip(t.values, widths))
        mark = "*" if chosen is not None and t.number == chosen.number else " "
        lines.append(f" {mark}#{t.number:<5} {cells}  {', '.join(format_params(t.params))}")
    if chosen is not None:
        where = "on the front" if any(t.number == chosen.number for t in front) else \
            "no longer on the front: another trial now beats it"
        lines.append(f"Chosen: trial {chosen.number} (*), {where}.")
    return lines
