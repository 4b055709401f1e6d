"""`keyloop train | evaluate | predict`: the model from COCO-keypoints files, without the app.

The top-level `keyloop` CLI imports this module in the API's environment, so torch and
worker.ml are imported inside the command functions only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

ml_app = typer.Typer(help="Train, evaluate and run the keypoint model.", no_args_is_help=True)


@ml_app.command()
def train(
    coco: Annotated[Path, typer.Argument(help="COCO keypoints json with the labeled images")],
    images: Annotated[Path, typer.Argument(help="folder holding the json's file_names")],
    out: Annotated[Path, typer.Option(help="checkpoint directory")] = Path("runs/model"),
    unlabeled: Annotated[Path | None, typer.Option(help="folder of unlabeled images")] = None,
    labeled_fraction: Annotated[float, typer.Option(min=0.0, max=1.0)] = 1.0,
    validation_fraction: Annotated[float, typer.Option(min=0.0, max=0.9)] = 0.2,
    seed: int = 0,
    backbone: Annotated[str | None, typer.Option(help="default: by device")] = None,
    input_size: Annotated[int | None, typer.Option(help="default: by device")] = None,
    method: Annotated[
        str,
        typer.Option(help="semi, supervised (x only) or supervised_matched (x and g(x))"),
    ] = "semi",
    no_sc: bool = False,
    sc_scope: Annotated[
        str | None,
        typer.Option(help="network (the paper) or classifier (SC trains the KCN only); by device"),
    ] = None,
    no_te: bool = False,
    no_ti: bool = False,
    no_gt: Annotated[bool, typer.Option(help="predictions, not ground truth, in SC/TE/TI")] = False,
    ti_raw: Annotated[bool, typer.Option(help="TI on raw z (the paper), not unit z")] = False,
    ti_sum: Annotated[bool, typer.Option(help="TI summed over K·C (Eq. 4), not averaged")] = False,
    rampup_steps: Annotated[int, typer.Option(min=0, help="SC/TE/TI weight ramp-up")] = 0,
    lambdas: Annotated[
        tuple[float, float, float, float] | None,
        typer.Option(help="loss weights: supervised SC TE TI (default 1e3 0.5 1e2 1e2)"),
    ] = None,
    labeled_share: Annotated[float, typer.Option(min=0.05, max=1.0)] = 0.5,
    perspective_jitter: float | None = None,
    sigma: Annotated[float | None, typer.Option(help="target sigma; default: by device")] = None,
    teacher: Annotated[bool, typer.Option(help="add a mean teacher's pseudo-labels")] = False,
    teacher_confidence: Annotated[
        float | None, typer.Option(help="heatmap peak a pseudo-label needs (default 0.5)")
    ] = None,
    supervised_only: Annotated[bool, typer.Option(help="same as --method supervised")] = False,
    max_steps: Annotated[int | None, typer.Option(help="default: by device")] = None,
    max_minutes: float | None = None,
    batch_size: Annotated[int | None, typer.Option(help="default: by device")] = None,
    lr: Annotated[float | None, typer.Option(help="default: by device")] = None,
    eval_interval: int | None = None,
    device: Annotated[str | None, typer.Option(help="cpu, cuda; default: cuda if present")] = None,
    resume: bool = False,
) -> None:
    """Train on a COCO file; labels beyond --labeled-fraction are used as unlabeled images.

    Defaults are the worker's for the device (worker/retrain_config.py); the switches are the
    ablations of docs/MODEL.md."""
    import numpy as np
    import torch
    from tqdm import tqdm

    from worker.device import default_model
    from worker.ml.data import UnlabeledSample, list_images, read_coco
    from worker.ml.train import Progress
    from worker.ml.train import train as run_training
    from worker.retrain_config import METHODS, RetrainOptions, build_config

    if method not in METHODS:
        raise typer.BadParameter(f"--method must be one of {', '.join(METHODS)}")
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    try:
        options = RetrainOptions(
            method="supervised" if supervised_only else method,
            backbone=backbone,  # type: ignore[arg-type]
            input_size=input_size,
            max_steps=max_steps,
            max_minutes=max_minutes,
            batch_size=batch_size,
            lr=lr,
            seed=seed,
            eval_interval=eval_interval,
            use_sc=not no_sc,
            sc_scope=sc_scope,  # type: ignore[arg-type]  # LossConfig refuses a bad one
            use_te=not no_te,
            use_ti=not no_ti,
            gt_in_unsupervised=not no_gt,
            ti_normalize=not ti_raw,
            ti_reduction="sum" if ti_sum else "mean",
            labeled_fraction_in_batch=labeled_share,
            perspective_jitter=perspective_jitter,
            rampup_steps=rampup_steps,
            lambdas=lambdas,
            sigma=sigma,
            teacher=teacher,
            teacher_confidence=teacher_confidence,
        )
        config = build_config(options, device, True, default_model(device, options.backbone))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    loss = config.loss
    schema, samples, _ = read_coco(coco, images)
    order = np.random.default_rng(seed).permutation(len(samples))
    n_val = round(validation_fraction * len(samples)) if len(samples) > 1 else 0
    validation = [samples[i] for i in order[:n_val]]
    rest = [samples[i] for i in order[n_val:]]
    n_labeled = max(1, round(labeled_fraction * len(rest)))
    labeled = rest[:n_labeled]
    pool = [UnlabeledSample(s.image) for s in rest[n_labeled:]]
    if unlabeled is not None:
        pool += [UnlabeledSample(p) for p in list_images(unlabeled)]
    if loss.semi_supervised and not pool:
        raise typer.BadParameter("semi-supervised training needs --unlabeled or a fraction < 1")
    typer.echo(f"{len(labeled)} labeled, {len(pool)} unlabeled, {len(validation)} validation")
    bar = tqdm(total=config.max_steps, desc="train")

    def progress(p: Progress) -> None:
        bar.update(p.step - bar.n)
        shown = {k: f"{v:.4g}" for k, v in p.losses.items()}
        if p.val_pck is not None:
            shown["val_pck"] = f"{p.val_pck:.3f}"
        bar.set_postfix(shown)

    result = run_training(
        config,
        schema,
        labeled,
        pool,
        validation,
        checkpoint_dir=out,
        on_progress=progress,
        resume=resume,
    )
    bar.close()
    typer.echo(
        f"{result.status} at step {result.step}; best val PCK {result.best_val_pck}; "
        f"model {result.best_checkpoint}"
    )


@ml_app.command()
def evaluate(
    checkpoint: Path,
    coco: Path,
    images: Path,
    alpha: float = 0.1,
    device: str = "cpu",
) -> None:
    """Print PCK@alpha (bbox's longest side, else the keypoints' extent), per keypoint, and
    pixel errors."""
    import numpy as np

    from worker.ml.data import read_coco
    from worker.ml.metrics import pck
    from worker.ml.predict import Predictor

    predictor = Predictor.from_checkpoint(checkpoint, device)
    schema, samples, _ = read_coco(coco, images)
    if schema.names != predictor.schema.names:
        raise typer.BadParameter(f"keypoints {schema.names} != model's {predictor.schema.names}")
    predictions = predictor.predict([s.image for s in samples])
    result = pck(
        np.stack([p.xy for p in predictions]),
        np.stack([s.keypoints_xy for s in samples]),
        np.stack([s.visibility > 0 for s in samples]),
        np.array([s.normalizer() for s in samples]),
        alpha,
    )
    kinds = {s.normalizer_kind() for s in samples}
    typer.echo(
        f"PCK@{alpha} ({kinds.pop() if len(kinds) == 1 else 'mixed'} normaliser): "
        f"{result.pck:.4f} over {result.count} keypoints"
    )
    typer.echo(f"mean error {result.mean_error_px:.2f} px, median {result.median_error_px:.2f} px")
    for name, value in zip(schema.names, result.per_keypoint, strict=True):
        typer.echo(f"  {name:<24} {value:.4f}")


@ml_app.command()
def predict(
    checkpoint: Path,
    images: Path,
    out: Annotated[Path, typer.Option(help="COCO results json")] = Path("predictions.json"),
    batch_size: int = 16,
    device: str = "cpu",
) -> None:
    """Write COCO keypoint results (one per image, keypoint scores included)."""
    from tqdm import tqdm

    from worker.ml.data import list_images
    from worker.ml.predict import Predictor

    predictor = Predictor.from_checkpoint(checkpoint, device)
    paths = list_images(images)
    results = []
    for start in tqdm(range(0, len(paths), batch_size), desc="predict"):
        chunk = paths[start : start + batch_size]
        for path, prediction in zip(chunk, predictor.predict(chunk), strict=True):
            flat: list[float] = []
            for x, y in prediction.xy:
                flat += [round(float(x), 2), round(float(y), 2), 2.0]
            results.append(
                {
                    "file_name": path.name,
                    "category_id": 1,
                    "keypoints": flat,
                    "keypoint_scores": [round(float(c), 4) for c in prediction.confidence],
                    "score": float(prediction.confidence.mean()),
                }
            )
    out.write_text(json.dumps(results))
    typer.echo(f"{len(results)} predictions -> {out}")
