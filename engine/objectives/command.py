"""Objective kind ``command``: run a training program with the trial's parameters as flags.

Settings (the ``[objective]`` table of a spec):

- ``command``: an argument template, e.g. ``python train.py --lr {learning_rate}``; see
  :mod:`engine.objectives.command_template` for placeholders and inactive parameters. It is
  run as a list of arguments, never through a shell. A first word ``python`` or ``python3``
  runs the interpreter that runs Knobs (``sys.executable``), so an example works inside the
  virtual environment Knobs was installed in; give a full path to use another interpreter.
- ``workdir``: the folder the program runs in (relative paths in the command start there);
  relative to the spec file's folder. Empty: the spec file's folder.
- ``env``: extra environment variables, added to the worker's environment.
  ``PYTHONUNBUFFERED=1`` is set unless given, so that Python scripts' progress lines arrive
  while they run rather than all at the end.
- ``score_regex``: optional regular expression with one group around the score.
- ``timeout_s``: optional; the program and all its children are ended after this many seconds.
- ``devices``: optional list of device ids (e.g. ``["0", "1"]``); worker slot ``w`` runs its
  trials with ``CUDA_VISIBLE_DEVICES`` set to ``devices[w % len(devices)]``, so four
  workers on four GPUs never share one. ``{worker}`` in the template is the slot's number.

When a pruner stops the trial, the program's process group gets SIGTERM (a script may
catch it to save a checkpoint) and SIGKILL a few seconds later; the trial ends PRUNED.

How the score and progress are read from stdout: :mod:`engine.objectives._command_output`.
A non-zero exit, a missing score or a timeout fail the trial with the exit code (or signal)
and the last lines of stderr.
"""

from __future__ import annotations

import math
import os
import re
import shlex
import shutil
import signal
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.objectives._command_output import OutputParser, ScoreError
from engine.objectives._command_process import RunResult, run_streaming
from engine.objectives.base import (
    WORKER_ENV,
    Evaluation,
    Objective,
    ObjectiveError,
    Reporter,
    TrialFailure,
    TrialPruned,
)
from engine.objectives.command_template import (
    TemplateError,
    parse_template,
    placeholder_names,
    render,
    to_text,
)
from engine.space.params import show_value

PYTHON_NAMES = ("python", "python3")
TAIL_LINES = 20  # lines of stderr kept in a failed trial's reason
WORKER = "worker"  # the placeholder for the worker slot's number
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class CommandObjective(Objective):
    """Runs ``command`` once per trial and reads the score from what it prints."""

    command: str
    workdir: str = ""
    env: dict[str, Any] = field(default_factory=dict, hash=False)
    score_regex: str = ""
    timeout_s: float | None = None
    devices: tuple[Any, ...] = ()

    kind = "command"
    path_settings = ("workdir",)
    folder_settings = ("workdir",)  # empty: the spec file's folder

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> CommandObjective:
        env = settings.get("env") or {}
        return cls(
            command=str(settings.get("command", "")),
            workdir=str(settings.get("workdir") or ""),
            # Kept as given when it is not a table, so that check() can name the mistake.
            env=dict(env) if isinstance(env, Mapping) else env,
            score_regex=str(settings.get("score_regex") or ""),
            timeout_s=settings.get("timeout_s"),
            devices=_as_devices(settings.get("devices")),
        )

    def to_settings(self) -> dict[str, Any]:
        out: dict[str, Any] = {"command": self.command}
        if self.workdir:
            out["workdir"] = self.workdir
        if self.env:
            out["env"] = dict(self.env)
        if self.score_regex:
            out["score_regex"] = self.score_regex
        if self.timeout_s is not None:
            out["timeout_s"] = self.timeout_s
        if self.devices:
            out["devices"] = list(self.devices)
        return out

    @property
    def reported_metrics(self) -> dict[str, str | None] | None:
        """With ``score_regex`` only the score is read; else any field of the final JSON."""
        return {} if self.score_regex else None

    def placeholders(self) -> list[str]:
        """Parameter names the command template uses, in order of first appearance."""
        try:
            return placeholder_names(parse_template(self.command))
        except TemplateError as exc:
            raise ObjectiveError(f"objective.command = {self.command!r}: {exc}") from None

    def check(self, param_names: Iterable[str] | None = None) -> None:
        """Raise :class:`ObjectiveError` listing every problem, one per line.

        With ``param_names`` (the search space's parameter names), a placeholder that names
        no parameter is an error too; pass them whenever the space is known.
        """
        problems = self._command_problems(param_names)
        problems += self._setting_problems()
        problems += _device_problems(self.devices)
        if problems:
            raise ObjectiveError("\n".join(problems))

    def evaluate(self, params: Mapping[str, Any], report: Reporter) -> Evaluation:
        argv = self._argv(params)
        parser = OutputParser(self.score_regex or None)

        def on_line(line: str) -> bool:
            progress = parser.feed(line)
            return progress is not None and bool(report(*progress))

        try:
            result = run_streaming(
                argv, cwd=self.workdir or None, env=self._environment(),
                timeout_s=self.timeout_s, on_stdout_line=on_line, tail_lines=TAIL_LINES,
            )
        except OSError as exc:
            where = f" in {self.workdir}" if self.workdir else ""
            raise TrialFailure(
                f"cannot start {argv[0]!r}{where}: {exc.strerror or exc}\n"
                f"Command: {shlex.join(argv)}"
            ) from None
        if result.stopped:
            raise TrialPruned()
        reason = self._failure_reason(result)
        if reason is None:
            try:
                return parser.result()
            except ScoreError as exc:
                reason = str(exc)
                if result.stdout_tail:
                    reason += "\nLast lines of stdout:\n" + "\n".join(result.stdout_tail)
        raise TrialFailure(f"{reason}\nCommand: {shlex.join(argv)}\n{_stderr_text(result)}")

    def describe(self) -> str:
        text = f"Runs the command: {self.command}"
        if self.workdir:
            text += f" (in {self.workdir})"
        if isinstance(self.env, Mapping) and self.env:
            text += " with " + " ".join(f"{k}={to_text(v)}" for k, v in self.env.items())
        if self.timeout_s is not None:
            text += f", stopped after {self.timeout_s} s"
        return text

    # --- helpers ---------------------------------------------------------------------

    def _argv(self, params: Mapping[str, Any]) -> list[str]:
        try:
            args = parse_template(self.command)
            # Checked here too, not only in check(): a value must never choose the program.
            if not args or any(not isinstance(part, str) for part in args[0]):
                raise TemplateError("the program name must be plain text, without placeholders")
            argv = render(args, {WORKER: _worker_slot(), **params})
        except TemplateError as exc:
            raise TrialFailure(f"objective.command = {self.command!r}: {exc}") from None
        if argv[0] in PYTHON_NAMES:
            argv[0] = sys.executable
        return argv

    def _environment(self) -> dict[str, str]:
        if not isinstance(self.env, Mapping):
            raise TrialFailure(f"objective.env = {self.env!r}: expected a table of NAME = value")
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        env.update({str(k): to_text(v) for k, v in self.env.items()})
        if self.devices:
            env["CUDA_VISIBLE_DEVICES"] = to_text(self.devices[_worker_slot() % len(self.devices)])
        return env

    def _failure_reason(self, result: RunResult) -> str | None:
        if result.timed_out:
            return (f"the command ran longer than timeout_s = {self.timeout_s} s; it was "
                    "stopped together with its child processes")
        if result.returncode < 0:
            return f"the command was killed by signal {_signal_name(-result.returncode)}"
        if result.returncode != 0:
            return f"the command exited with code {result.returncode}"
        return None

    def _command_problems(self, param_names: Iterable[str] | None) -> list[str]:
        if not self.command.strip():
            return ["objective.command is empty: give the program to run with its arguments, "
                    "e.g. python train.py --lr {learning_rate}"]
        try:
            args = parse_template(self.command)
        except TemplateError as exc:
            return [f"objective.command = {self.command!r}: {exc}"]
        if not args:
            return [f"objective.command = {self.command!r}: no program to run"]
        problems = []
        if any(not isinstance(part, str) for part in args[0]):
            problems.append(
                f"objective.command: the program {shlex.split(self.command)[0]!r} must not "
                "contain a placeholder; parameters may only fill in its arguments"
            )
        elif args[0] and args[0][0] not in PYTHON_NAMES:
            problems += self._program_problems(args[0][0])
        if param_names is not None:
            known = list(param_names)
            unknown = [n for n in placeholder_names(args) if n not in known and n != WORKER]
            if unknown:
                listed = ", ".join(f"{{{n}}}" for n in unknown)
                accepted = ", ".join(known) or "none"
                problems.append(
                    f"objective.command: {listed} names no parameter of the search space; "
                    f"the parameters are: {accepted}"
                )
        return problems

    def _program_problems(self, program: str) -> list[str]:
        if os.sep in program:
            path = Path(self.workdir or ".") / program
            if not path.is_file():
                return [f"objective.command: the program {program!r} does not exist"
                        + (f" (looked in {self.workdir})" if self.workdir else "")]
            return []
        search = self.env.get("PATH") if isinstance(self.env, Mapping) else None
        if shutil.which(program, path=search or os.environ.get("PATH")) is None:
            return [f"objective.command: the program {program!r} was not found on PATH; "
                    "give its full path"]
        return []

    def _setting_problems(self) -> list[str]:
        problems = []
        if self.workdir and not isinstance(self.workdir, str):
            problems.append(f"objective.workdir = {show_value(self.workdir)}: expected a folder "
                            "path in quotes")
        elif self.workdir and not _is_folder(self.workdir):
            problems.append(f"objective.workdir = {self.workdir!r}: no such folder")
        problems += _env_problems(self.env)
        if self.score_regex:
            try:
                groups = re.compile(self.score_regex).groups
            except re.error as exc:
                problems.append(f"objective.score_regex = {self.score_regex!r}: not a valid "
                                f"regular expression ({exc})")
            else:
                if groups != 1:
                    problems.append(
                        f"objective.score_regex = {self.score_regex!r}: has {groups} groups; "
                        "expected exactly one, around the score, e.g. 'accuracy: ([0-9.]+)'"
                    )
        t = self.timeout_s
        if t is not None and (
            isinstance(t, bool) or not isinstance(t, (int, float)) or not _finite(t)
            or t <= 0
        ):
            problems.append(
                f"objective.timeout_s = {show_value(t)}: "
                "expected a number of seconds greater than 0"
            )
        return problems


def _finite(v: int | float) -> bool:
    try:
        return math.isfinite(v)
    except OverflowError:  # a whole number beyond any float
        return False


def _is_folder(path: str) -> bool:
    try:
        return Path(path).is_dir()
    except (OSError, ValueError):  # a name too long for the system, or with a NUL in it
        return False


def _worker_slot() -> int:
    try:
        return int(os.environ.get(WORKER_ENV, "0"))
    except ValueError:
        return 0


def _as_devices(raw: Any) -> Any:
    # Kept as given when it is not a list, so that check() can name the mistake.
    if raw is None:
        return ()
    return tuple(raw) if isinstance(raw, list) else raw


def _device_problems(devices: Any) -> list[str]:
    if not isinstance(devices, tuple) or any(
            isinstance(d, bool) or not isinstance(d, (str, int)) or str(d).strip() == ""
            for d in devices):
        shown = list(devices) if isinstance(devices, tuple) else devices
        return [f"objective.devices = {shown!r}: expected a list of device ids such as "
                "[\"0\", \"1\"] (one per worker slot, used in turn)"]
    return []


def _env_problems(env: Any) -> list[str]:
    if not isinstance(env, Mapping):
        return [f"objective.env = {env!r}: expected a table of NAME = \"value\" entries"]
    problems = []
    for name, value in env.items():
        if not isinstance(name, str) or not _ENV_NAME.fullmatch(name):
            problems.append(f"objective.env: {name!r} is not a valid variable name "
                            "(letters, digits and _, not starting with a digit)")
        if isinstance(value, (dict, list, tuple)) or value is None:
            problems.append(f"objective.env.{name} = {value!r}: expected text, a number "
                            "or true/false")
    return problems


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _stderr_text(result: RunResult) -> str:
    if not result.stderr_tail:
        return "The command wrote nothing to stderr."
    return "Last lines of stderr:\n" + "\n".join(result.stderr_tail)
