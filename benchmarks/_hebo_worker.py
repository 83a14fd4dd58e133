"""HEBO behind a line protocol on stdin/stdout, run by benchmarks/_peer_hebo.py with the
Python of HEBO's own environment (HEBO pins numpy < 1.25, Knobs needs numpy >= 1.26).

It imports only HEBO and what HEBO needs, never Knobs. One JSON object a line:

- first line: ``{"space": [HEBO parameter dicts], "seed": int}``;
- ``{"cmd": "ask"}`` -> ``{"params": {...}, "seconds": float}``, the time HEBO took;
- ``{"cmd": "tell", "params": [{...}, ...], "values": [float, ...]}`` -> ``{"ok": true}``.

The objective is evaluated by the caller, in Knobs' environment, so every optimizer is
scored by the same scikit-learn.
"""

from __future__ import annotations

import json
import os
import sys
import time


def _plain(v):
    """A JSON value for a numpy scalar."""
    return v.item() if hasattr(v, "item") else v


def main() -> None:
    # The protocol owns the real stdout; anything HEBO, pymoo or torch print goes to stderr.
    proto = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    import numpy as np
    import pandas as pd
    import torch
    from hebo.design_space.design_space import DesignSpace
    from hebo.optimizers.hebo import HEBO

    first = json.loads(sys.stdin.readline())
    seed = int(first["seed"])
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    opt = HEBO(DesignSpace().parse(first["space"]), scramble_seed=seed)
    for line in sys.stdin:
        msg = json.loads(line)
        if msg["cmd"] == "ask":
            start = time.perf_counter()
            rec = opt.suggest(n_suggestions=1)
            seconds = time.perf_counter() - start
            params = {k: _plain(v) for k, v in rec.iloc[0].to_dict().items()}
            reply = {"params": params, "seconds": seconds}
        elif msg["cmd"] == "tell":
            opt.observe(pd.DataFrame(msg["params"]),
                        np.asarray(msg["values"], dtype=float).reshape(-1, 1))
            reply = {"ok": True}
        else:
            raise ValueError(f"unknown command {msg['cmd']!r}: expected ask or tell")
        proto.write(json.dumps(reply) + "\n")
        proto.flush()


if __name__ == "__main__":
    main()
