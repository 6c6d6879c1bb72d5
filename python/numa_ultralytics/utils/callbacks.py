"""Callbacks as Ultralytics 8.4.190 names them (``ultralytics.utils.callbacks``): ``model.add_callback(event, fn)``.

Every event of the original is a key (so ``add_callback`` / ``clear_callback`` accept them all), but only the predict
events are ever run (engine/model.py ``YOLO._stream``, the one frame loop): ``on_predict_start``,
``on_predict_batch_start``, ``on_predict_postprocess_end``, ``on_predict_batch_end``, ``on_predict_end``, each called
with the model's predictor (engine/predictor.py ``Predictor``: ``results``, ``batch``, ``args``, ``save_dir``,
``dataset``). There are no training, validation or export callbacks to run (no integrations either): the lists start
empty.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

__all__ = ["EVENTS", "PREDICT_EVENTS", "get_default_callbacks", "run_callbacks"]

PREDICT_EVENTS = (
    "on_predict_start",
    "on_predict_batch_start",
    "on_predict_postprocess_end",
    "on_predict_batch_end",
    "on_predict_end",
)
EVENTS = (
    "on_pretrain_routine_start",
    "on_pretrain_routine_end",
    "on_train_start",
    "on_train_epoch_start",
    "on_train_batch_start",
    "optimizer_step",
    "on_before_zero_grad",
    "on_train_batch_end",
    "on_train_epoch_end",
    "on_fit_epoch_end",
    "on_model_save",
    "on_train_end",
    "on_params_update",
    "teardown",
    "on_val_start",
    "on_val_batch_start",
    "on_val_batch_end",
    "on_val_end",
    *PREDICT_EVENTS,
    "on_export_start",
    "on_export_end",
)


def get_default_callbacks() -> defaultdict[str, list[Callable[..., Any]]]:
    """A fresh callbacks dict: every event of the original, each with an empty list (a ``defaultdict(list)``)."""
    return defaultdict(list, {e: [] for e in EVENTS})


def run_callbacks(callbacks: dict[str, list[Callable[..., Any]]], event: str, obj: Any) -> None:
    """Call every function registered for ``event`` with ``obj``, in the order they were added."""
    for fn in callbacks.get(event, ()):
        fn(obj)
