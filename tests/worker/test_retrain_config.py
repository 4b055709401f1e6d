"""The worker, the CLI and the label-efficiency bench build a retraining's config in one place."""

import importlib.util
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest

from backend.schemas.job_options import TrainOptions
from worker.ml.config import LossConfig
from worker.retrain_config import CPU_BUDGET, METHODS, RetrainOptions, build_config
from worker.training_run import build_config as worker_config

ROOT = Path(__file__).resolve().parents[2]


def load_bench(name: str = "ml_label_efficiency") -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("has_unlabeled", [True, False])
def test_bench_runs_the_config_the_worker_ships(has_unlabeled: bool) -> None:
    bench = load_bench()
    options = bench.options_for("semi", 3, {})
    shipped = worker_config(TrainOptions(seed=3), "cpu", has_unlabeled)
    # Only the safety time cap is lifted: the bench runs the default's full step count.
    assert bench.bench_config(options, has_unlabeled) == replace(shipped, max_minutes=None)


def test_the_active_learning_bench_retrains_each_round_as_the_worker_ships() -> None:
    rounds = load_bench("active_learning")
    shipped = worker_config(TrainOptions(seed=3), "cpu", True)
    assert rounds.round_config(3, {}) == replace(shipped, max_minutes=None)
    assert rounds.round_config(3, {"sc_scope": "network"}).loss.sc_scope == "network"


@pytest.mark.parametrize(
    ("variant", "job_options"),
    [
        ("supervised_matched", {"method": "supervised_matched"}),
        ("no_sc", {"use_sc": False}),
        ("sc_network", {"sc_scope": "network"}),
        ("ti_sum", {"ti_reduction": "sum"}),
        ("ti_x10", {"lambdas": (1e3, 0.5, 1e2, 1e3)}),
        ("warp_weak", {"perspective_jitter": 0.08}),
        ("rampup", {"rampup_steps": 150}),
        ("teacher", {"teacher": True}),
        ("teacher_gate_0_8", {"teacher": True, "teacher_confidence": 0.8}),
    ],
)
def test_bench_variants_are_worker_options(variant: str, job_options: dict[str, object]) -> None:
    bench = load_bench()
    shipped = worker_config(TrainOptions.model_validate(job_options), "cpu", True)
    assert bench.bench_config(bench.options_for(variant, 0, {}), True) == replace(
        shipped, max_minutes=None
    )


def test_cpu_default_is_step_bounded_with_8_labeled_and_8_unlabeled_at_128_px() -> None:
    config = build_config(RetrainOptions(), "cpu", True)
    assert config.model.backbone == "efficientnet_lite0" and config.model.input_size == 128
    assert (config.batch_size, config.labeled_per_batch) == (16, 8)
    assert config.max_steps == CPU_BUDGET.max_steps == 300 and config.lr == 1e-3
    assert config.loss == LossConfig(sc_scope="classifier")
    assert config.sigma == 1.5  # measured on two datasets against 2 (docs/MODEL.md)


def test_sc_trains_the_classifier_alone_on_cpu_and_the_whole_network_on_gpu() -> None:
    assert build_config(RetrainOptions(), "cpu", True).loss.sc_scope == "classifier"
    assert build_config(RetrainOptions(), "cuda", True).loss.sc_scope == "network"
    chosen = TrainOptions(sc_scope="network")
    assert worker_config(chosen, "cpu", True).loss.sc_scope == "network"
    with pytest.raises(ValueError, match="SC scope"):
        build_config(RetrainOptions(sc_scope="backbone"), "cpu", True)  # type: ignore[arg-type]


def test_every_method_gets_the_devices_sigma_unless_one_is_chosen() -> None:
    for method in METHODS:
        assert build_config(RetrainOptions(method=method), "cpu", True).sigma == 1.5
        assert build_config(RetrainOptions(method=method), "cuda", True).sigma == 2.0
    assert build_config(RetrainOptions(sigma=2.0), "cpu", True).sigma == 2.0


def test_supervised_methods_see_as_many_labeled_images_per_step_as_semi() -> None:
    semi = build_config(RetrainOptions(), "cpu", True)
    for method in ("supervised", "supervised_matched"):
        config = build_config(RetrainOptions(method=method), "cpu", True)
        assert not config.loss.semi_supervised
        assert config.labeled_per_batch == semi.labeled_per_batch == 8
    matched = build_config(RetrainOptions(method="supervised_matched"), "cpu", True)
    assert matched.loss.two_views and matched.loss.supervise_warped_view
    plain = build_config(RetrainOptions(method="supervised"), "cpu", True)
    assert not plain.loss.two_views


def test_semi_without_unlabeled_images_trains_the_matched_baseline() -> None:
    config = build_config(RetrainOptions(), "cpu", has_unlabeled=False)
    assert config.loss == LossConfig.supervised_only(matched=True)


def test_job_option_semi_supervised_false_means_matched_supervised() -> None:
    def method(stored: dict[str, object]) -> str:
        return RetrainOptions.from_job(TrainOptions.model_validate(stored)).method

    assert method({"semi_supervised": False}) == "supervised_matched"
    assert method({"semi_supervised": True, "project_id": 4}) == "semi"
    assert method({"semi_supervised": False, "method": "supervised"}) == "supervised"


def test_explicit_steps_replace_the_time_cap() -> None:
    assert build_config(RetrainOptions(), "cpu", True).max_minutes == CPU_BUDGET.max_minutes
    assert build_config(RetrainOptions(max_steps=40), "cpu", True).max_minutes is None


def test_a_time_budget_alone_is_not_cut_short_by_the_default_step_count() -> None:
    config = build_config(RetrainOptions(max_minutes=30.0), "cpu", True)
    assert config.max_minutes == 30.0 and config.max_steps > 10 * CPU_BUDGET.max_steps


def test_rejects_a_semi_run_with_every_unsupervised_loss_off() -> None:
    with pytest.raises(ValueError, match="SC, TE and TI all off"):
        build_config(RetrainOptions(use_sc=False, use_te=False, use_ti=False), "cpu", True)


def test_the_teacher_gate_reaches_the_loss_and_a_bad_one_is_refused() -> None:
    options = RetrainOptions(teacher=True, teacher_confidence=0.8)
    loss = build_config(options, "cpu", True).loss
    assert loss.use_teacher and loss.teacher_confidence == 0.8
    assert build_config(RetrainOptions(teacher=True), "cpu", True).loss.teacher_confidence == 0.5
    with pytest.raises(ValueError, match="teacher_confidence"):
        build_config(RetrainOptions(teacher=True, teacher_confidence=1.5), "cpu", True)


def test_bench_runs_with_other_overrides_or_defaults_keep_their_own_checkpoints() -> None:
    run_dir = load_bench().run_dir
    config = build_config(RetrainOptions(), "cpu", True)
    plain = run_dir("tiger", "semi", config, {}, None, 0.1, 0)
    assert plain == run_dir("tiger", "semi", config, {}, None, 0.1, 0)
    others = {
        run_dir("tiger", "semi", config, {"sigma": 1.5}, None, 0.1, 0),
        run_dir("tiger", "semi", config, {}, 0.15, 0.1, 0),
        run_dir("tiger", "semi", config, {}, None, 0.1, 1),
        run_dir("tiger", "rampup", config, {}, None, 0.1, 0),
        # the shipped default moved (as sigma and sc_scope did): same overrides, new folder
        run_dir("tiger", "semi", replace(config, sigma=config.sigma + 0.5), {}, None, 0.1, 0),
    }
    assert plain not in others and len(others) == 5


def test_bench_tables_pair_rows_by_sigma_old_rows_having_run_at_2() -> None:
    bench = load_bench()
    old = {"variant": "semi", "overrides": {}}
    explicit = {"variant": "semi", "overrides": {"sigma": 1.5}}
    new = {"variant": "semi", "overrides": {}, "sigma": 1.5}
    assert bench.row_setting(old) == {"sigma": 2.0}
    assert bench.row_key(explicit) == bench.row_key(new) == "semi sc_scope=network sigma=1.5"


def test_bench_tables_pair_ablations_with_the_baseline_named(tmp_path: Path) -> None:
    def row(variant: str, seed: int, pck05: float) -> str:
        return json.dumps({
            "dataset": "tiger", "fraction": 0.1, "labeled": 20, "variant": variant, "seed": seed,
            "overrides": {}, "sigma": 1.5, "pck10": 0.9, "pck05": pck05, "mean_px": 10.0,
        })  # fmt: skip

    rows = tmp_path / "rows.jsonl"
    rows.write_text("\n".join([row("semi", 0, 0.9), row("semi", 1, 0.8), row("no_sc", 0, 0.85),
                               row("no_sc", 1, 0.82)]))  # fmt: skip
    bench = ROOT / "bench" / "ml_label_efficiency.py"
    baseline = "semi sc_scope=network"  # rows without "sc_scope" ran the paper's SC
    command = [sys.executable, str(bench), "--table", str(rows), "--baseline", baseline]
    table = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    assert f"paired gain vs {baseline}" in table
    no_sc = next(line for line in table.splitlines() if line.startswith("| no_sc"))
    assert "-0.015 ± 0.035 (1/2)" in no_sc  # per seed -0.05 and +0.02, against semi
