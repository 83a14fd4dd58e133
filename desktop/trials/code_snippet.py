"""Copy a trial as Python: the scikit-learn estimator for a catalog model, else a dict.

No Qt here. The catalog's own ``ModelEntry.build`` makes the estimator, so the code
follows the same conventions as a trial does ("none" -> None, MLP ``layers`` and ``units``
-> ``hidden_layer_sizes``, quick-trial defaults, the objective's seed).
"""

from __future__ import annotations

import json
from typing import Any

from engine.trial import Trial

# Long calls go one argument per line, as a formatter would write them.
_ONE_LINE = 88


def python_code(objective: dict[str, Any], trial: Trial) -> str:
    """Python that rebuilds a trial's configuration, headed by a comment naming the trial."""
    header = f"# Knobs trial {trial.number}" + (
        f", value {trial.value:.6g}" if trial.value is not None else ""
    )
    if objective.get("kind") == "sklearn":
        code = _sklearn_code(objective, trial.params)
        if code is not None:
            return f"{header}\n{code}"
    return f"{header}\nparams = {_literal(trial.params)}\n"


def _sklearn_code(objective: dict[str, Any], params: dict[str, Any]) -> str | None:
    # Imported here: scikit-learn takes a second to import and most sessions never copy.
    from engine.objectives.base import ObjectiveError
    from engine.objectives.sklearn_catalog import get_model

    try:
        entry = get_model(objective.get("model"))
        built = entry.build(params, seed=int(objective.get("seed", 0))).get_params(deep=False)
    except (ObjectiveError, TypeError, ValueError):
        return None
    base = entry.estimator().get_params(deep=False)
    extra = [k for k in built if k not in params and _differs(built[k], base.get(k))]
    # Arguments made from params that are not arguments themselves (MLP layers and units
    # -> hidden_layer_sizes) take the place of the first such param.
    translated = [k for k in extra if k not in entry.defaults and k != "random_state"]
    names: list[str] = []
    for k in params:
        if k in built:
            names.append(k)
        elif translated:
            names += translated
            translated = []
    names += sorted((k for k in extra if k not in names), key=lambda k: (k == "random_state", k))
    args = [f"{k}={_literal(built[k])}" for k in names]
    cls = entry.estimator.__name__
    module = "sklearn." + entry.estimator.__module__.split(".")[1]
    call = f"model = {cls}({', '.join(args)})"
    if len(call) > _ONE_LINE:
        call = f"model = {cls}(\n" + "".join(f"    {a},\n" for a in args) + ")"
    return f"from {module} import {cls}\n\n{call}\n"


def _differs(a: Any, b: Any) -> bool:
    try:
        return bool(a != b)
    except (TypeError, ValueError):
        return True


def _literal(v: Any) -> str:
    """A Python literal; strings in double quotes, as formatters write them."""
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(x)}" for k, x in v.items()) + "}"
    if isinstance(v, tuple):
        inner = ", ".join(_literal(x) for x in v)
        return f"({inner},)" if len(v) == 1 else f"({inner})"
    if isinstance(v, list):
        return "[" + ", ".join(_literal(x) for x in v) + "]"
    return repr(v)
