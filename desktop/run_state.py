"""What Run will do with the setup as it stands, shown before it is pressed: the button's
text, why it is disabled, and the estimate (a part of MainWindow)."""

from __future__ import annotations

from engine import session


class RunStateMixin:
    """Keeps the run panel's button, message and estimate in step with the setup."""

    def _refresh_state(self) -> None:
        implied = self.objective_panel.direction()
        if implied is not None:
            self.direction.blockSignals(True)
            self.direction.setCurrentIndex(self.direction.findData(implied))
            self.direction.blockSignals(False)
        self.direction.setEnabled(implied is None and not self._busy)
        self.direction.setToolTip(
            "Set by the metric you chose." if implied else "Whether a lower or higher score wins."
        )
        self.run_panel.pruning.set_objective(self.objective_panel.settings())
        problems = self.setup_problems()
        readonly = self.study is not None and self.study.file is not None \
            and self.study.file.readonly
        continues = self._continues()
        info = False
        if readonly:
            reason = getattr(self.study.file, "readonly_reason", None) or \
                "This study is being run by another Knobs window or process."
            ok = False
        elif problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            reason, ok = f"Fix the setup first: {problems[0]}{more}", False
        elif continues and self._budget_spent():
            reason = (f"All {self.run_panel.trials.value()} trials are done: raise Trials "
                      "to run more, or set a time limit.")
            ok, info = False, True
        else:
            reason, ok = "", True
        plan = self._plan()
        if continues:
            run_text = "Continue"
        elif plan is not None and plan.action == "new" and self.study is not None:
            run_text = "Run as a new study"
            reason = reason or (
                f"The search changed ({'; '.join(plan.changes)}): Run starts a new study file, "
                f"{plan.path.name}; the {len(self.study.trials)} trials so far stay in "
                f"{self.study.file.path.name if self.study.file else 'the open study'}.")
        else:
            run_text = "Run"
        self.run_panel.set_can_run(ok, reason, run_text, info=info)
        if not self._busy:
            # The estimate follows Trials/Workers, for the study that Run will add to.
            new = plan is not None and plan.action != "continue"
            self.run_panel.show_progress(None if new else self.study)
        self._update_title()

    def _plan(self) -> session.RunPlan | None:
        spec = self.current_spec()
        if spec is None:
            return None
        return session.plan_run(self.study, spec, self._studies_folder(self.study))

    def _continues(self) -> bool:
        spec = self.current_spec()
        return (self.study is not None and bool(self.study.trials) and spec is not None
                and spec.same_search_as(self.study.spec))

    def _budget_spent(self) -> bool:
        spec = self.current_spec()
        if spec is None or self.study is None or spec.time_s is not None:
            return False
        summary = self.feed.summary
        finished = summary.n_finished if summary is not None else self.study.n_finished
        return spec.trials is not None and finished >= spec.trials

    @property
    def _busy(self) -> bool:
        return self.pool is not None and self.pool.running

    def _update_title(self) -> None:
        name = self.name_edit.text().strip() or "Untitled study"
        where = self.study.file.path.name if self.study and self.study.file else "not saved"
        self.setWindowTitle(f"{name} — {where}[*] — Knobs")
