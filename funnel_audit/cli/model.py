"""`train` and `evaluate`: the verbs for correcting and measuring the classifier."""

from __future__ import annotations

import json
from pathlib import Path

import click

from funnel_audit.cli.app import cli
from funnel_audit.cli.options import FiniteFloatRange
from funnel_audit.settings import SETTINGS


@cli.command()
@click.argument("labels", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path),
    default=Path("model.npz"),
    show_default=True,
    help="Where to write the trained model.",
)
@click.option(
    "--timeout",
    type=FiniteFloatRange(SETTINGS["timeout"].low, SETTINGS["timeout"].high),
    default=SETTINGS["timeout"].default,
    show_default=True,
    help="Seconds per page when rows carry only a URL and must be fetched.",
)
@click.option(
    "--allow-private",
    is_flag=True,
    help="Allow fetching labelled pages on private or loopback addresses.",
)
def train(labels: Path, out_path: Path, timeout: float, allow_private: bool) -> None:
    """Train on the shipped corpus plus your labelled pages (CSV url,stage or url,title,text,stage;
    or JSONL). Rows with only a URL are fetched. Use the result with `audit --model`."""
    from funnel_audit.classify.store import require_training, save_model

    require_training()
    from funnel_audit.classify.training import train_with_labels
    from funnel_audit.crawl.crawler import CrawlSettings

    model = train_with_labels(
        labels, CrawlSettings(timeout=timeout, allow_private=allow_private, max_pages=1)
    )
    save_model(model, out_path)
    cv = model.metadata.get("cv", {})
    click.echo(
        f"Trained on {model.metadata['n_examples']} pages "
        f"(cross-validated macro-F1 {cv.get('macro_f1_all', 0):.3f}); "
        f"model written to {out_path}"
    )


@cli.command()
@click.argument("labels", type=click.Path(path_type=Path))
@click.option(
    "--model",
    "model_path",
    type=click.Path(path_type=Path),
    help="A model written by `train` [default: the shipped model].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
def evaluate(labels: Path, model_path: Path | None, as_json: bool) -> None:
    """Score a model on labelled pages (CSV or JSONL with url, title, text, label): per-stage
    precision, recall, F1, macro-F1 and the confusion matrix."""
    from dataclasses import asdict

    from funnel_audit.classify.corpus import load_labels
    from funnel_audit.classify.store import default_model, load_model, require_training

    require_training()  # the scores come from scikit-learn's metrics
    from funnel_audit.classify.training import evaluate as run_evaluation
    from funnel_audit.classify.training import format_evaluation

    model = load_model(model_path) if model_path else default_model()
    result = run_evaluation(model, load_labels(labels))
    click.echo(json.dumps(asdict(result), indent=1) if as_json else format_evaluation(result))


@cli.command("build-model")
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Where to write it [default: the package's shipped_model.npz].",
)
def build_model(out_path: Path | None) -> None:
    """Fit the shipped model on the corpus in classifiers/ and write it where the package loads
    it from: the one reproducible command behind the packaged model file."""
    from funnel_audit.classify.store import SHIPPED_MODEL, save_model, train_shipped

    target = out_path or SHIPPED_MODEL
    model = train_shipped()
    save_model(model, target)
    cv = model.metadata.get("cv", {})
    click.echo(
        f"Fitted on {model.metadata.get('n_examples')} corpus pages "
        f"(cross-validated macro-F1 {cv.get('macro_f1_all', 0):.3f}); "
        f"model {model.version} written to {target}"
    )
