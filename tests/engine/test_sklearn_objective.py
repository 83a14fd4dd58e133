"""The scikit-learn objective: catalog, data sets, CSV edge cases, metrics, learning curves."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from engine.objectives.base import ObjectiveError, TrialFailure
from engine.objectives.sklearn_catalog import (
    CATALOG,
    CLASSIFICATION,
    METRICS,
    REGRESSION,
    default_space,
    get_model,
    metrics_for,
    models_for,
)
from engine.objectives.sklearn_data import infer_task, load_bundled, load_csv, make_preprocessor
from engine.objectives.sklearn_objective import SklearnObjective, direction_of
from engine.space import FixedParam, SearchSpace

CHURN = Path(__file__).resolve().parents[2] / "resources" / "examples" / "churn.csv"

# Small values for the knobs that decide how long a trial takes.
QUICK = {"max_iter": 8, "n_estimators": 8}


def quick_params(model_id: str) -> dict:
    space = default_space(model_id)
    params = space.decode([0.5] * space.dimension)
    return {k: QUICK.get(k, v) for k, v in params.items()}


def run(objective: SklearnObjective, params: dict | None = None):
    steps: list[tuple[int, float]] = []
    objective.check(list(params or {}))
    result = objective.evaluate(params or {}, lambda s, v: steps.append((s, v)))
    return result, steps


def write(tmp_path: Path, text: str, name: str = "data.csv", encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def mixed_csv(n: int = 60) -> str:
    """Numeric and categorical features with gaps; the label depends on both."""
    rng = np.random.default_rng(0)
    lines = ["size,colour,weight,label"]
    for i in range(n):
        colour = ["red", "green", "blue"][i % 3]
        size = "" if i % 11 == 0 else f"{rng.normal(5, 2):.2f}"
        weight = "NA" if i % 13 == 0 else str(int(rng.integers(1, 9)))
        label = "big" if (size and float(size) > 5) or colour == "red" else "small"
        lines.append(f"{size},{'' if i % 17 == 0 else colour},{weight},{label}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- catalog


def test_catalog_covers_both_tasks():
    classifiers = {e.id for e in models_for(CLASSIFICATION)}
    regressors = {e.id for e in models_for(REGRESSION)}
    assert {"logistic_regression", "svc", "knn_classifier", "random_forest_classifier",
            "extra_trees_classifier", "hist_gradient_boosting_classifier",
            "mlp_classifier"} <= classifiers
    assert {"ridge", "lasso", "elastic_net", "svr", "random_forest_regressor",
            "hist_gradient_boosting_regressor", "mlp_regressor"} <= regressors


@pytest.mark.parametrize("model_id", list(CATALOG))
def test_default_space_validates_and_explains_every_param(model_id):
    space = default_space(model_id)
    assert isinstance(space, SearchSpace)
    for p in space.params:
        assert p.help.strip().endswith("."), f"{model_id}.{p.name} needs a help sentence"
    get_model(model_id).check_names(space.names)


@pytest.mark.parametrize("model_id", list(CATALOG))
def test_every_model_builds_and_scores(model_id):
    entry = get_model(model_id)
    dataset = "iris" if entry.task == CLASSIFICATION else "diabetes"
    objective = SklearnObjective(model=model_id, dataset=dataset, folds=2, n_threads=1)
    result, steps = run(objective, quick_params(model_id))
    assert math.isfinite(result.value)
    assert len(result.metrics["fold_scores"]) == 2
    assert result.metrics["std"] >= 0 and result.metrics["fit_time"] > 0
    assert result.value == pytest.approx(np.mean(result.metrics["fold_scores"]))
    if entry.iterative:
        assert steps and steps[0][0] == 1


def test_mlp_maps_layers_and_units_and_momentum_only_for_sgd():
    entry = get_model("mlp_classifier")
    est = entry.build({"layers": 3, "units": 20, "solver": "sgd", "momentum": 0.7})
    assert est.hidden_layer_sizes == (20, 20, 20) and est.momentum == 0.7
    space = entry.space()
    low = space.decode([0.1] * space.dimension)
    high = space.decode([0.9] * space.dimension)
    assert low["solver"] == "adam" and "momentum" not in low
    assert high["solver"] == "sgd" and "momentum" in high
    assert isinstance(space["max_iter"], FixedParam)


def test_unknown_param_name_is_reported_with_accepted_names():
    objective = SklearnObjective(model="ridge", dataset="diabetes")
    with pytest.raises(ObjectiveError, match="'depth': not a hyperparameter of Ridge.*alpha"):
        objective.check(["alpha", "depth"])
    objective.check(["alpha", "fit_intercept"])  # any Ridge argument may be tuned
    with pytest.raises(TrialFailure, match="depth"):
        objective.evaluate({"depth": 3}, lambda s, v: None)


def test_text_none_means_python_none_and_whole_floats_become_ints():
    est = get_model("logistic_regression").build({"class_weight": "none"})
    assert est.class_weight is None
    est = get_model("random_forest_classifier").build({"n_estimators": 30.0})
    assert est.n_estimators == 30 and isinstance(est.n_estimators, int)


# ---------------------------------------------------------------------------- metrics


@pytest.mark.parametrize("metric, direction", [
    ("accuracy", "maximize"), ("balanced_accuracy", "maximize"), ("f1_macro", "maximize"),
    ("roc_auc", "maximize"), ("log_loss", "minimize"),
    ("r2", "maximize"), ("rmse", "minimize"), ("mae", "minimize"),
])
def test_direction_follows_the_metric(metric, direction):
    assert direction_of(metric) == direction
    assert SklearnObjective(model="ridge", dataset="diabetes", metric=metric).direction == direction


def test_default_metric_is_maximised_for_both_tasks():
    assert SklearnObjective(model="svc", dataset="iris").direction == "maximize"
    assert metrics_for(CLASSIFICATION)[0] == "accuracy" and metrics_for(REGRESSION)[0] == "r2"
    assert set(metrics_for(CLASSIFICATION)) | set(metrics_for(REGRESSION)) == set(METRICS)


def test_metric_that_does_not_fit_the_task_is_an_error():
    with pytest.raises(ObjectiveError, match=r"objective.metric = 'r2': not a classification "
                                             r"metric; expected one of accuracy, balanced_acc"):
        SklearnObjective(model="svc", dataset="iris", metric="r2").check()
    with pytest.raises(ObjectiveError, match="objective.metric = 'log_loss': not a regression"):
        SklearnObjective(model="ridge", dataset="diabetes", metric="log_loss").check()
    with pytest.raises(ObjectiveError, match="objective.metric = 'acc': unknown metric"):
        SklearnObjective(model="svc", dataset="iris", metric="acc").check()


@pytest.mark.parametrize("metric", ["roc_auc", "log_loss", "f1_macro", "balanced_accuracy"])
def test_probability_and_label_metrics_score_multiclass(metric):
    objective = SklearnObjective(model="svc", dataset="iris", metric=metric, folds=2)
    result, _ = run(objective, {"C": 1.0, "kernel": "linear"})
    assert 0 < result.value < (5 if metric == "log_loss" else 1.0 + 1e-9)


@pytest.mark.parametrize("metric", ["rmse", "mae"])
def test_error_metrics_are_positive(metric):
    result, _ = run(SklearnObjective(model="ridge", dataset="diabetes", metric=metric, folds=2))
    assert result.value > 10  # diabetes progression is in the hundreds


def test_model_task_mismatch_names_models_that_fit():
    with pytest.raises(ObjectiveError, match="objective.model = 'ridge': a regression model, "
                                             "but the task is classification.*svc"):
        SklearnObjective(model="ridge", dataset="iris").check()


# ---------------------------------------------------------------------------- evaluation


def test_intermediate_values_for_mlp_one_per_epoch():
    params = {**quick_params("mlp_classifier"), "early_stopping": False, "max_iter": 6}
    objective = SklearnObjective(model="mlp_classifier", dataset="iris", folds=2, n_threads=1)
    result, steps = run(objective, params)
    assert [s for s, _ in steps] == list(range(1, len(steps) + 1))
    assert 1 <= len(steps) <= 6
    assert all(0 <= v <= 1 for _, v in steps)
    # Without early stopping the final score is the last epoch's score.
    assert result.value == pytest.approx(steps[-1][1])


def test_mlp_early_stopping_and_sgd_run():
    params = {"layers": 1, "units": 8, "solver": "sgd", "momentum": 0.9, "early_stopping": True,
              "max_iter": 40, "learning_rate_init": 0.05}
    objective = SklearnObjective(model="mlp_classifier", dataset="iris", folds=2, n_threads=1)
    result, steps = run(objective, params)
    assert result.value > 0.5 and 1 <= len(steps) <= 40


def test_boosting_reports_one_value_per_iteration():
    params = {"max_iter": 7, "learning_rate": 0.1}
    objective = SklearnObjective(model="hist_gradient_boosting_regressor", dataset="diabetes",
                                 folds=2, n_threads=1, metric="rmse")
    result, steps = run(objective, params)
    assert [s for s, _ in steps] == list(range(1, 8))
    assert result.value == pytest.approx(steps[-1][1])
    assert steps[-1][1] < steps[0][1]  # boosting lowers the error


def test_holdout_gives_one_score_and_same_seed_repeats():
    objective = SklearnObjective(model="knn_classifier", dataset="wine", holdout=0.25, seed=3)
    first, _ = run(objective)
    second, _ = run(objective)
    assert len(first.metrics["fold_scores"]) == 1 and first.metrics["std"] == 0
    assert first.value == second.value


def test_folds_are_stratified_and_shuffled_with_the_seed():
    objective = SklearnObjective(model="svc", dataset="iris", folds=3, seed=1)
    data = objective.load_data()
    splits = objective.splits(data)
    for _, test in splits:
        assert set(np.bincount(data.y[test]).tolist()) <= {16, 17}  # 50 per class / 3 folds
    other = SklearnObjective(model="svc", dataset="iris", folds=3, seed=2).splits(data)
    assert not np.array_equal(splits[0][1], other[0][1])


def test_one_thread_per_trial_reaches_the_model_and_the_trial_runs():
    single = SklearnObjective(model="random_forest_classifier", dataset="iris", folds=2,
                              n_threads=1)
    assert get_model(single.model).build({}, n_jobs=1).n_jobs == 1
    result, _ = run(single, {"n_estimators": 5})
    assert result.value > 0.8


# ---------------------------------------------------------------------------- settings


def test_settings_round_trip_and_path_setting():
    assert SklearnObjective.path_settings == ("csv",)
    settings = {"model": "mlp_classifier", "csv": "data.csv", "target": "label",
                "metric": "f1_macro", "holdout": 0.2, "seed": 7, "n_threads": 1,
                "categorical": ["zip"], "ignore": ["id"], "encoding": "latin-1"}
    objective = SklearnObjective.from_settings(settings)
    assert objective.to_settings() == settings
    again = SklearnObjective.from_settings(objective.to_settings())
    assert again == objective


@pytest.mark.parametrize("settings, message", [
    ({"model": "forest", "dataset": "iris"}, "objective.model = 'forest': unknown model; "
                                             "expected one of logistic_regression"),
    ({"model": "svc"}, "objective.dataset is empty: give a bundled data set"),
    ({"model": "svc", "dataset": "mnist"}, "objective.dataset = 'mnist': unknown data set"),
    ({"model": "svc", "dataset": "iris", "csv": "x.csv"}, "give one of them, not both"),
    ({"model": "svc", "dataset": "iris", "folds": 1}, "objective.folds = 1: expected a whole"),
    ({"model": "svc", "dataset": "iris", "holdout": 1.5}, "objective.holdout = 1.5: expected"),
    ({"model": "svc", "dataset": "iris", "holdout": 0.2, "folds": 3}, "not both"),
    ({"model": "svc", "dataset": "iris", "task": "ranking"}, "objective.task = 'ranking'"),
    ({"model": "svc", "dataset": "iris", "n_threads": -1}, "objective.n_threads = -1"),
    ({"model": "svc", "dataset": "iris", "fold": 3}, "objective.fold: unknown setting"),
    ({"model": "svc", "dataset": "iris", "target": "y"}, "only used with objective.csv"),
    ({"model": "svc", "dataset": 3}, "objective.dataset = 3: expected text"),
    ({"model": "svc", "dataset": "iris", "ignore": ["id"]}, "only used with objective.csv"),
])
def test_bad_settings_are_clear_errors(settings, message):
    with pytest.raises(ObjectiveError, match=message.replace(".", r"\.")):
        SklearnObjective.from_settings(settings).check()


def test_describe_reads_as_a_sentence():
    text = SklearnObjective(model="mlp_classifier", dataset="digits", folds=3).describe()
    assert text == ("Neural network (MLP) on the digits data, scored by the default metric "
                    "with 3-fold cross-validation")


# ---------------------------------------------------------------------------- data sets


@pytest.mark.parametrize("name, task, classes", [
    ("iris", CLASSIFICATION, 3), ("wine", CLASSIFICATION, 3),
    ("breast_cancer", CLASSIFICATION, 2), ("digits", CLASSIFICATION, 10),
    ("diabetes", REGRESSION, 0),
])
def test_bundled_data_sets(name, task, classes):
    data = load_bundled(name)
    assert data.task == task and len(data.classes) == classes
    assert data.X.shape == (data.n_rows, len(data.feature_names))


def test_infer_task():
    assert infer_task(["yes", "no"]) == CLASSIFICATION
    assert infer_task(["1", "2", "3", "2.0"]) == CLASSIFICATION
    assert infer_task([str(x) for x in np.linspace(0, 1, 30)]) == REGRESSION
    assert infer_task([str(i) for i in range(100)]) == REGRESSION


def test_csv_with_missing_values_and_categoricals(tmp_path):
    path = write(tmp_path, mixed_csv())
    data = load_csv(path, "label")
    assert data.feature_names == ("size", "colour", "weight")
    assert data.numeric == (0, 2) and data.categorical == (1,)
    assert data.classes == ("big", "small")
    assert np.isnan(data.X[0, 0]) and isinstance(data.X[1, 1], str)
    result, _ = run(SklearnObjective(model="logistic_regression", csv=path, target="label",
                                     folds=3))
    assert result.value > 0.6


def test_preprocessing_is_fitted_on_training_rows_only(tmp_path):
    # 'purple' exists only in the last rows: a test fold must cope with an unseen category.
    lines = ["colour,x,y"] + [f"{'red' if i % 2 else 'blue'},{i},{i % 2}" for i in range(20)]
    lines += ["purple,20,1", "purple,21,0"]
    data = load_csv(write(tmp_path, "\n".join(lines)), "y")
    pre = make_preprocessor(data, scale=True)
    train = pre.fit_transform(data.X[:20])
    assert np.allclose(train[:, 0].mean(), 0)  # scaled with training statistics
    test = pre.transform(data.X[20:])
    assert test.shape[1] == train.shape[1]


def test_csv_task_override_and_inference(tmp_path):
    lines = ["x,grade"] + [f"{i},{i % 4}" for i in range(40)]
    path = write(tmp_path, "\n".join(lines))
    assert load_csv(path, "grade").task == CLASSIFICATION
    assert load_csv(path, "grade", task="regression").task == REGRESSION
    result, _ = run(SklearnObjective(model="ridge", csv=path, target="grade", task="regression",
                                     folds=2))
    assert math.isfinite(result.value)


def test_csv_semicolons_decimal_commas_bom_and_trailing_delimiter(tmp_path):
    lines = ["a;b;target;"] + [f"{i},5;{i % 3};{'yes' if i % 2 else 'no'};" for i in range(12)]
    data = load_csv(write(tmp_path, "\ufeff" + "\n".join(lines)), "target")
    assert data.feature_names == ("a", "b") and data.X[1, 0] == 1.5


def test_csv_in_another_encoding_is_read_when_named(tmp_path):
    lines = ["ville,n,y"] + [f"{'Orléans' if i % 2 else 'Besançon'},{i},{i % 2}" for i in range(10)]
    path = write(tmp_path, "\n".join(lines), encoding="latin-1")
    with pytest.raises(ObjectiveError, match=r"not readable as utf-8 text \(byte 0xe7 .*"
                                             r"objective.encoding"):
        load_csv(path, "y")
    assert "Orléans" in load_csv(path, "y", encoding="latin-1").X[:, 0]


def test_example_churn_csv():
    data = load_csv(CHURN, "churned")
    assert data.n_rows >= 300 and data.classes == ("no", "yes")
    assert data.categorical and data.numeric
    assert np.isnan(data.X[:, list(data.numeric)].astype(float)).any()  # some gaps to impute
    objective = SklearnObjective(model="random_forest_classifier", csv=str(CHURN),
                                 target="churned", metric="roc_auc", folds=3, n_threads=1)
    result, _ = run(objective, {"n_estimators": 20, "max_depth": 5})
    assert result.value > 0.6


@pytest.mark.parametrize("text, target, message", [
    ("", "y", "the file is empty"),
    ("a,b,y\n", "y", "has a header but no data rows"),
    ("y\n1\n2\n", "y", "found only one column \\('y'\\)"),
    ("a,b,y\n1,2,3\n4,5\n", "y", "line 3 has 2 fields but the header has 3"),
    ("a,a,y\n1,2,3\n", "y", "column names must be unique; repeated: 'a'"),
    ("a,b,y\n1,2,3\n4,5,6\n", "label",
     "objective.target = 'label': no such column .* the columns are 'a', 'b', 'y'"),
    ("a,y\n1,x\n2,x\n3,x\n", "y", "every row has the same class \\('x'\\)"),
    ("a,y\n1,\n2,\n", "y", "objective.target = 'y': the column is empty"),
    ("a,y\n1,2.5\n2,3.5\n", "", "objective.target is empty"),
])
def test_csv_problems_are_clear_errors(tmp_path, text, target, message):
    path = write(tmp_path, text)
    with pytest.raises(ObjectiveError, match=message):
        SklearnObjective(model="svc", csv=path, target=target).check()


def test_text_in_a_numeric_column_names_column_line_and_text(tmp_path):
    lines = ["age,y"] + [f"{20 + i},{i % 2}" for i in range(10)]
    lines[6] = "thirty,1"
    path = write(tmp_path, "\n".join(lines))
    with pytest.raises(ObjectiveError, match="column 'age' holds numbers, but line 7 has the "
                                             "text 'thirty'.*objective.categorical"):
        load_csv(path, "y")
    data = load_csv(path, "y", categorical=["age"])
    assert data.categorical == (0,)


def test_regression_on_text_target_and_classification_on_fractions(tmp_path):
    text_path = write(tmp_path, "a,y\n1,cat\n2,dog\n3,cat\n", "text.csv")
    with pytest.raises(ObjectiveError, match="objective.task = 'regression'.*holds text"):
        load_csv(text_path, "y", task="regression")
    frac_path = write(tmp_path, "a,y\n1,0.5\n2,1.5\n3,2.25\n", "frac.csv")
    with pytest.raises(ObjectiveError, match="fractional numbers \\(e.g. 0.5\\)"):
        load_csv(frac_path, "y", task="classification")


def test_unknown_ignored_column_and_nothing_left(tmp_path):
    path = write(tmp_path, "id,y\n1,0\n2,1\n")
    with pytest.raises(ObjectiveError, match="objective.ignore = 'idx': no such column"):
        load_csv(path, "y", ignore=["idx"])
    with pytest.raises(ObjectiveError, match="no feature columns are left"):
        load_csv(path, "y", ignore=["id"])


def test_excel_file_and_missing_file_and_unknown_encoding(tmp_path):
    xlsx = tmp_path / "book.xlsx"
    xlsx.write_bytes(b"PK\x03\x04rest-of-zip")
    with pytest.raises(ObjectiveError, match="Excel file, not CSV"):
        load_csv(xlsx, "y")
    with pytest.raises(ObjectiveError, match="no such file"):
        load_csv(tmp_path / "nope.csv", "y")
    with pytest.raises(ObjectiveError, match="objective.encoding = 'klingon'"):
        load_csv(xlsx, "y", encoding="klingon")


def test_too_many_folds_for_the_smallest_class(tmp_path):
    lines = ["x,y"] + [f"{i},{'rare' if i < 3 else 'common'}" for i in range(30)]
    path = write(tmp_path, "\n".join(lines))
    with pytest.raises(ObjectiveError, match="objective.folds = 5: class 'rare' of 'y' has only "
                                             "3 rows.*at most 3 folds"):
        SklearnObjective(model="svc", csv=path, target="y").check()
    SklearnObjective(model="svc", csv=path, target="y", folds=3).check()


def test_holdout_needs_two_rows_of_every_class(tmp_path):
    lines = ["x,y"] + [f"{i},{'rare' if i == 0 else 'common'}" for i in range(30)]
    path = write(tmp_path, "\n".join(lines))
    with pytest.raises(ObjectiveError, match="class 'rare' of 'y' has only 1 row"):
        SklearnObjective(model="svc", csv=path, target="y", holdout=0.3).check()
    with pytest.raises(ObjectiveError, match="add rows of that class"):
        SklearnObjective(model="svc", csv=path, target="y").check()
