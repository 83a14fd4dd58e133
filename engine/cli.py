"""The headless command line: ``run``, ``show`` and ``export`` a study.

Bad input prints one line per problem and exits with code 2, having written nothing.
"""

from __future__ import annotations

import argparse
import io
import sys
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from engine import bundled, session
from engine.cli_cluster import cluster_target
from engine.dask_executor import ClusterError, DaskExecutor, parse_cluster_address
from engine.export import judged_of, overwrite_refusal, write_csv, write_json
from engine.front_report import front_lines, goal_lines
from engine.interop.foreign import foreign_kind
from engine.interop.optuna_cli import export_optuna, show_optuna
from engine.interop.optuna_rdb import OptunaStorageError
from engine.objectives.base import ObjectiveError
from engine.objectives.registry import make_objective, resolve_paths
from engine.progress import ProgressLine, format_params, format_value
from engine.pruners import PRUNER_NAMES
from engine.pruners.fidelity import step_unit
from engine.runner import RunError, Runner, RunOutcome
from engine.samplers import make_sampler
from engine.slots import ExecutorError
from engine.spec import (
    MAX_WORKERS,
    SAMPLER_NAMES,
    SpecError,
    StudySpec,
    load_spec,
    spec_to_dict,
)
from engine.storage import StudyFileError
from engine.study import Study
from engine.terminal import VisibleWriter, visible
from engine.trial import TrialState

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
STUDY_SUFFIX = ".knobs"


class UsageError(Exception):
    """Bad input from the command line; each line of the message is one problem."""


class _Parser(argparse.ArgumentParser):
    """Reports a bad argument as one line (no usage dump) and exits with code 2."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="knobs", description="Knobs: hyperparameter tuning. With no command, opens the window."
    )
    parser.add_argument("--version", action="version", version=f"knobs {bundled.version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="run a study from a spec file, headless")
    run.add_argument("spec", help="study spec (.toml or .json)")
    run.add_argument("--sampler", choices=SAMPLER_NAMES, help="search method")
    run.add_argument("--pruner", choices=PRUNER_NAMES,
                     help="stop bad trials early (options from the spec's [pruner] table)")
    run.add_argument("--trials", type=_whole_number(), help="number of trials")
    run.add_argument("--timeout-s", type=_positive_number(),
                     help="seconds a trial may run before it is stopped and failed")
    run.add_argument("--workers", type=_whole_number(maximum=MAX_WORKERS),
                     help=f"trials run at once, at most {MAX_WORKERS} (default: number of cores)")
    run.add_argument("--seed", type=_whole_number(minimum=0), help="random seed")
    run.add_argument("--out", help="study file to write (default: next to the spec, .knobs)")
    run.add_argument("--resume", action="store_true",
                     help="continue the study in --out instead of starting a new one")
    run.add_argument("--cluster", type=_cluster_address, metavar="ADDRESS",
                     help="run the trials on a Dask cluster: tcp://HOST:PORT or tls://HOST:PORT "
                          "of its scheduler, or local:N for N worker processes here (needs "
                          "knobs[cluster]); default: the spec's [cluster] address, if any")
    run.add_argument("--tls-ca", metavar="FILE",
                     help="for a tls:// scheduler: the CA certificate that signed the cluster's")
    run.add_argument("--tls-cert", metavar="FILE", help="for a tls:// scheduler: your certificate")
    run.add_argument("--tls-key", metavar="FILE",
                     help="for a tls:// scheduler: your private key (if not in --tls-cert)")

    show = sub.add_parser("show", help="summarise a study file")
    show.add_argument("study", help="study file (.knobs) or Optuna storage (SQLite, journal)")
    show.add_argument("--top", type=_whole_number(), default=10, help="best trials shown")
    show.add_argument("--study", dest="study_name", metavar="NAME",
                      help="which study of an Optuna storage holding several")

    export = sub.add_parser("export", help="write a study's trials as CSV or JSON")
    export.add_argument("study", help="study file (.knobs) or Optuna storage (SQLite, journal)")
    export.add_argument("--format", choices=("csv", "json"),
                        help="default: from -o's suffix; csv on standard output")
    export.add_argument("-o", "--output", default="-",
                        help="file to write; - (the default) writes to standard output")
    export.add_argument("--study", dest="study_name", metavar="NAME",
                        help="which study of an Optuna storage holding several")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    commands = {"run": cmd_run, "show": cmd_show, "export": cmd_export}
    if args.command is None:
        build_parser().print_help()
        return 0
    try:
        # Names, errors and metrics come from files someone else may have written.
        return commands[args.command](args, VisibleWriter(sys.stdout))
    except (UsageError, SpecError, ObjectiveError, StudyFileError, OptunaStorageError,
            ValueError) as exc:
        for line in str(exc).splitlines():
            print(f"knobs {args.command}: error: {visible(line)}", file=sys.stderr)
        return EXIT_BAD_INPUT


# ---------------------------------------------------------------------------- run


def cmd_run(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    spec_path = Path(args.spec)
    study_path = Path(args.out) if args.out else spec_path.with_suffix(STUDY_SUFFIX)
    # The spec is read on resume too: it names the objective that runs and the run
    # settings that may change; nothing stored in the study file runs unseen.
    spec = load_spec(spec_path)
    spec = replace(spec, objective=resolve_paths(spec.objective, spec_path.parent))
    spec = _apply_overrides(spec, args)
    if not args.resume and study_path.exists():
        raise UsageError(
            f"{study_path} exists already; add --resume to continue it, "
            "or --out to write a new study file"
        )
    problem = session.budget_problem(spec)
    if args.resume:
        # The study file's own problems come first; the objective and the budget are
        # checked before the resume writes anything.
        objectives = []

        def check() -> None:
            objectives.append(_checked_objective(spec))
            if problem:
                raise UsageError(problem)

        study = session.resume(study_path, spec, check=check)
        objective = objectives[0]
    else:
        objective = _checked_objective(spec)
        if problem:
            raise UsageError(problem)
        study = None
    try:
        executor = _cluster_executor(args, spec)  # connected before a file is written
    except Exception:
        if study is not None:
            study.close()
        raise
    if study is not None:
        print(f"Resuming {study_path}: {study.n_finished} finished trials kept.", file=out)
    else:
        try:
            study = Study.create(spec, study_path)
        except Exception:
            if executor is not None:
                executor.close()
            raise
    try:
        return _run(study, objective, args, out, executor)
    finally:
        if executor is not None:
            executor.close()
        study.close()


def _cluster_executor(args: argparse.Namespace, spec: StudySpec) -> DaskExecutor | None:
    """The Dask executor of ``--cluster`` or the spec's [cluster], connected (a bad one
    raises ClusterError)."""
    target = cluster_target(args, spec)
    if target is None:
        return None
    executor = DaskExecutor(target.address, memory_limit_mb=spec.memory_limit_mb,
                            tls=target.tls)
    try:
        executor.connect()
    except ClusterError:
        executor.close()
        raise
    return executor


def _apply_overrides(spec: StudySpec, args: argparse.Namespace) -> StudySpec:
    changes = {
        key: value
        for key, value in (
            ("sampler", args.sampler), ("pruner", args.pruner), ("trials", args.trials),
            ("timeout_s", args.timeout_s),
            ("workers", args.workers), ("seed", args.seed),
        )
        if value is not None
    }
    if args.sampler and args.sampler != spec.sampler:
        changes["sampler_options"] = {}  # options belong to the sampler they were written for
    if args.pruner and args.pruner != spec.pruner:
        changes["pruner_options"] = {}  # options belong to the pruner they were written for
    spec = replace(spec, **changes)
    # Catch a bad sampler/space pairing now, before a file is written.
    make_sampler(spec.sampler, spec.space, direction=spec.direction, seed=spec.seed,
                 options=spec.sampler_options)
    return spec


def _checked_objective(spec: StudySpec):
    objective = make_objective(spec.objective)
    objective.check(spec.space.names)
    return objective


def _run(study: Study, objective, args: argparse.Namespace, out: TextIO,
         executor: DaskExecutor | None = None) -> int:
    where = ""
    workers = None
    if executor is not None:
        info = executor.connect()
        where = f" on the Dask cluster at {info.address}"
        # Without a worker count of its own, a study uses every thread of the cluster.
        workers = None if study.spec.workers else info.threads or None
    runner = Runner(study, objective, workers=workers, executor=executor)
    print(f"Study '{study.spec.name}': {objective.describe()}", file=out)
    pruning = "" if study.spec.pruner == "none" else f", {study.spec.pruner} pruning"
    print(f"{study.spec.sampler} search{pruning}, {runner.workers} workers{where}, "
          f"saving to {study.file.path}", file=out)
    progress = ProgressLine(study, stream=sys.stderr)
    try:
        outcome = runner.run(on_tick=progress.update)
    except KeyboardInterrupt:
        progress.finish()
        print(f"Stopped. {_resume_hint(study, args)}", file=out)
        return EXIT_INTERRUPTED
    except (ExecutorError, StudyFileError, RunError) as exc:
        # The run broke mid-way (scheduler gone, disk full, a bug): not bad input, not exit 2.
        progress.finish()
        print(f"knobs run: error: {visible(str(exc))}", file=sys.stderr)
        print(_resume_hint(study, args), file=out)
        return EXIT_FAILED
    progress.finish()
    _print_summary(study, outcome, out)
    return 0


def _resume_hint(study: Study, args: argparse.Namespace) -> str:
    cluster = f" --cluster {args.cluster}" if args.cluster else ""
    for flag in ("tls_ca", "tls_cert", "tls_key"):
        if getattr(args, flag, None):
            cluster += f" --{flag.replace('_', '-')} {getattr(args, flag)}"
    return (f"{study.n_finished} finished trials are saved in {study.file.path}; continue "
            f"with: knobs run {args.spec} --out {study.file.path} --resume{cluster}")


def _print_summary(study: Study, outcome: RunOutcome, out: TextIO) -> None:
    summary = outcome.summary
    done = ", ".join(f"{n} {s.value}" for s, n in summary.counts.items() if n)
    print(f"Done: {done or 'no trials'}.", file=out)
    if outcome.fallbacks:
        print(f"Warning: the {study.spec.sampler} sampler failed {outcome.fallbacks} time(s) "
              f"({study.last_fallback}); those trials got random points.", file=out)
    if study.spec.pruner != "none":
        print(f"Pruning: {study.savings.text(step_unit(study.spec.objective))}.", file=out)
    if study.is_multi and len(study.spec.goals) > 1:
        for line in front_lines(study, top=10):
            print(line, file=out)
        return
    best = summary.best_trial
    if best is None:
        failed = [t for t in study.trials if t.state is TrialState.FAILED]
        if failed:
            print(f"No trial completed. First failure (trial {failed[0].number}): "
                  f"{(failed[0].error or '').splitlines()[0]}", file=out)
        return
    print(f"Best trial {best.number}: value {format_value(best.value)} ({study.direction})",
          file=out)
    for line in format_params(best.params):
        print(f"  {line}", file=out)


# ---------------------------------------------------------------------------- show / export


def cmd_show(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    if foreign_kind(args.study) is not None:
        return show_optuna(args, out)
    study = Study.open(args.study, readonly=True)
    try:
        spec = study.spec
        print(f"Study '{spec.name}' ({args.study})", file=out)
        print(f"  objective: {make_objective(spec.objective).describe()}", file=out)
        print(f"  direction: {spec.direction}; sampler: {spec.sampler}; "
              f"budget: {_budget_text(spec)}", file=out)
        print(f"  parameters: {', '.join(study.space.names)}", file=out)
        counts = study.counts()
        print("  trials: " + ", ".join(f"{n} {s.value}" for s, n in counts.items()), file=out)
        if study.is_multi:
            for line in goal_lines(study):
                print(f"  {line}", file=out)
        if study.is_multi and len(spec.goals) > 1:
            for line in front_lines(study, top=args.top):
                print(line, file=out)
            return 0
        ranked = sorted(
            (t for t in study.trials if t.state is TrialState.COMPLETE),
            key=lambda t: t.value, reverse=spec.direction == "maximize",
        )[: args.top]
        if ranked:
            print(f"Top {len(ranked)}:", file=out)
        for t in ranked:
            params = ", ".join(format_params(t.params))
            print(f"  #{t.number:<5} {format_value(t.value):>12}  {params}", file=out)
    finally:
        study.close()
    return 0


def _budget_text(spec: StudySpec) -> str:
    parts = []
    if spec.trials is not None:
        parts.append(f"{spec.trials} trials")
    if spec.time_s is not None:
        parts.append(f"{spec.time_s:g} s")
    if spec.steps is not None:
        parts.append(f"{spec.steps} steps")
    return " or ".join(parts) or "until the sampler is exhausted"


def cmd_export(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    to_stdout = args.output == "-"
    target = "standard output" if to_stdout else Path(args.output)
    fmt = args.format or ("csv" if to_stdout else target.suffix.lower().lstrip("."))
    if fmt not in ("csv", "json"):
        raise UsageError(f"-o {target}: cannot tell the format; add --format csv or --format json")
    refusal = None if to_stdout else overwrite_refusal(target, args.study)
    if refusal:
        raise UsageError(f"-o {target}: {refusal}")
    destination = _data_stream() if to_stdout else target
    if foreign_kind(args.study) is not None:
        try:
            return export_optuna(args, destination, fmt, _notes(to_stdout, out))
        except BrokenPipeError:
            raise  # the reader left (`| head`): the launcher ends quietly
        except OSError as exc:
            raise UsageError(f"-o {target}: cannot write: {exc.strerror}") from None
    study = Study.open(args.study, readonly=True)
    try:
        trials = study.trials
        judged = judged_of(study)
        if fmt == "csv":
            write_csv(trials, study.space.names, destination, judged=judged)
        else:
            write_json(trials, destination, study=spec_to_dict(study.spec), judged=judged,
                       study_note=study.note)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise UsageError(f"-o {target}: cannot write: {exc.strerror}") from None
    finally:
        study.close()
    print(f"Wrote {len(trials)} trials to {target}", file=_notes(to_stdout, out))
    return 0


def _data_stream() -> TextIO:
    # Piped, the data goes out as it is; on a terminal, names and errors from a file someone
    # else wrote could carry escape sequences that drive the terminal: escape them.
    return VisibleWriter(sys.stdout) if sys.stdout.isatty() else sys.stdout


def _notes(to_stdout: bool, out: TextIO) -> TextIO:
    """Where "Wrote N trials to FILE" goes: nowhere when the data itself is the output, as a
    filter prints nothing but its data."""
    return io.StringIO() if to_stdout else out


# ---------------------------------------------------------------------------- argument types


def _whole_number(minimum: int = 1, maximum: int | None = None):
    accepted = (f"a whole number >= {minimum}" if maximum is None
                else f"a whole number from {minimum} to {maximum}")

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {accepted}, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"expected {accepted}, got {value}")
        return value

    return parse


def _cluster_address(text: str) -> str:
    try:
        return parse_cluster_address(text).text
    except ClusterError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_number():
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not 0 < value < float("inf"):
            raise argparse.ArgumentTypeError(f"expected a number greater than 0, got {text!r}")
        return value

    return parse


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

