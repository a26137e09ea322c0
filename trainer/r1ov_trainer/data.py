"""Training data: the TRL layout written by `r1ov export RUN --format trl` (Parquet or Arrow IPC stream)."""
from __future__ import annotations

from .config import ConfigError, TrainerConfig

REQUIRED = ("prompt", "images", "solution")


def load_dataset_file(path: str):
    import datasets

    try:
        if path.endswith(".arrow"):
            ds = datasets.Dataset.from_file(path)
        else:
            ds = datasets.load_dataset("parquet", data_files=path, split="train")
    except Exception as e:  # noqa: BLE001
        raise ConfigError(f"data: cannot read {path} as {'Arrow IPC' if path.endswith('.arrow') else 'Parquet'} ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    return ds


def load_training_data(cfg: TrainerConfig, stage: str):
    """Returns a `datasets.Dataset` with PIL images and clean messages, only the columns the stage needs."""
    ds = load_dataset_file(cfg.data)
    missing = [c for c in REQUIRED + (("completion",) if stage == "sft" else ()) if c not in ds.column_names]
    if missing:
        raise ConfigError(
            f"data: {cfg.data} lacks column {missing[0]!r} (has {', '.join(ds.column_names)}); export it with --format trl")
    if len(ds) == 0:
        raise ConfigError(f"data: {cfg.data} has no rows")
    if cfg.max_samples:
        ds = ds.select(range(min(cfg.max_samples, len(ds))))
    keep = ["prompt", "images"] + (["completion"] if stage == "sft" else ["solution", "choices", "box"])
    ds = ds.select_columns([c for c in keep if c in ds.column_names])
    # Images as datasets' Image feature (decoded to PIL on access), whether or not the file carried the metadata.
    if not _images_are_features(ds):
        import datasets

        ds = ds.cast_column("images", datasets.List(datasets.Image()))
    first = ds[0]
    if stage == "sft" and not first["completion"]:
        raise ConfigError("data: row 0 has an empty completion")
    if not first["prompt"]:
        raise ConfigError("data: row 0 has an empty prompt")
    return ds


def _images_are_features(ds) -> bool:
    import datasets

    feat = ds.features.get("images")
    inner = getattr(feat, "feature", None) if feat is not None else None
    if inner is None and isinstance(feat, list) and feat:
        inner = feat[0]
    return isinstance(inner, datasets.Image)


