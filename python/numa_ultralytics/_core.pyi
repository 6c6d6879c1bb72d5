"""Type stubs of the compiled Rust core (``numa_ultralytics._core``)."""

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__version__: str
MAX_TRACKER_COUNT: int  # the largest tracker count setting (rust/src/tracker_settings.rs MAX_COUNT)

_Roi = tuple[int, int, npt.NDArray[np.uint8]]  # (x0, y0, mask (h, w))

# ---------------------------------------------------------------- predict (rust/src/py/predict.rs)
def postprocess(
    pred: npt.NDArray[np.float32],
    protos: npt.NDArray[np.float32] | None,
    nc: int,
    input_hw: tuple[int, int],
    orig_hw: tuple[int, int],
    conf: float | None = None,
    iou: float | None = None,
    classes: Sequence[int] | None = None,
    agnostic: bool = False,
    max_det: int | None = None,
    max_nms: int | None = None,
    end_to_end: bool = False,
    retina_masks: bool = False,
    keep_empty_masks: bool = False,
    return_anchors: bool = False,
) -> tuple[Any, ...]:
    """NMS (or end-to-end filtering), mask decoding over each box, boxes scaled to the original image.

    Returns ``(boxes (n, 6) [x1, y1, x2, y2, conf, cls], rois)``; ``rois`` is ``None`` without prototypes. With
    ``return_anchors``, a third item: int64 ``(n,)`` prediction columns of the kept boxes. Boxes with an empty mask are
    dropped unless ``keep_empty_masks``. Non-finite boxes and scores are dropped before NMS, end-to-end rows (exactly
    ``6 + nm`` columns) with a class >= ``nc`` too. Raises ``ValueError`` for bad shapes or options (sides above 2^20
    included), ``MemoryError`` when a mask region can't be allocated."""

def pool_features(maps: Sequence[npt.NDArray[np.float32]], anchors: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
    """The detector's own ReID features (``get_obj_feats``): each ``(c, h, w)`` map's channels averaged in groups
    down to the smallest ``c``, levels concatenated, rows at ``anchors`` -> float32 ``(len(anchors), s)``."""

def dets_del(
    pred: npt.NDArray[np.float32],
    protos: npt.NDArray[np.float32] | None,
    nc: int,
    input_hw: tuple[int, int],
    orig_hw: tuple[int, int],
    tight: npt.NDArray[np.float32],
    conf: float | None = None,
    classes: Sequence[int] | None = None,
    agnostic: bool = False,
    max_det: int | None = None,
    max_nms: int | None = None,
    end_to_end: bool = False,
    retina_masks: bool = False,
) -> npt.NDArray[np.float32] | None:
    """TrackTrack's NMS-removed detections: a looser NMS on the same prediction, deduplicated against the frame's
    kept boxes ``tight``; float32 ``(k, 6)`` ``[x1, y1, x2, y2, conf, cls]`` in original pixels, or None."""

def letterbox_plan(
    orig_hw: tuple[int, int], new_shape: tuple[int, int], auto: bool, stride: int = 32
) -> tuple[tuple[int, int], tuple[int, int, int, int]]:
    """Ultralytics ``LetterBox`` sizes: ``((new_h, new_w), (top, bottom, left, right))`` for an ``orig_hw`` image
    in a ``new_shape`` input (``auto``: pad only to a multiple of ``stride``), Python's round (ties to even)."""

def rois_to_polygons(
    rois: Sequence[_Roi], mask_hw: tuple[int, int], orig_hw: tuple[int, int], normalize: bool
) -> list[npt.NDArray[np.float32]]:
    """``masks.xy`` / ``masks.xyn`` of mask regions: external contours, merged, in original pixels."""

def to_blob(img: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """Letterboxed (H, W, 3) BGR uint8 frame -> (1, 3, H, W) RGB float32 in [0, 1]."""

# ---------------------------------------------------------------- val metrics (rust/src/py/metrics.rs)
def mask_iou(masks1: npt.NDArray[np.uint8], masks2: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """(n1, h, w) x (n2, h, w) binary masks (nonzero = set) -> (n1, n2) float32 IoU, as Ultralytics'
    ``mask_iou`` on the flattened masks (exact pixel counts, ``inter / (union + 1e-7)``)."""

def match_predictions(
    pred_classes: npt.NDArray[np.float32],
    true_classes: npt.NDArray[np.float32],
    iou: npt.NDArray[np.float32],
    thresholds: npt.NDArray[np.float32],
) -> npt.NDArray[np.bool_]:
    """Ultralytics' greedy ``match_predictions``: (n_true, n_pred) IoU, predictions in descending confidence order
    -> (n_pred, n_thresholds) bool true positives."""

# ---------------------------------------------------------------- val NMS and mask crop (rust/src/py/val.rs)
def nms_indices(
    boxes: npt.NDArray[np.float32],
    scores: npt.NDArray[np.float32],
    classes: npt.NDArray[np.int64],
    iou: float,
    max_det: int,
    agnostic: bool = False,
) -> npt.NDArray[np.int64]:
    """Predict's greedy NMS (``nms.rs``) over gathered detections: (n, 4) xyxy ``boxes``, (n,) ``scores`` and
    ``classes`` -> int64 indices of the kept rows, by descending score (ties in row order); the top ``max_nms`` of
    predict's defaults are considered, boxes offset by class unless ``agnostic``, IoU ``> iou`` suppressed, at most
    ``max_det`` kept."""

def crop_masks(masks: npt.NDArray[np.uint8], boxes: npt.NDArray[np.float32]) -> None:
    """Zero, in place, the pixels of each (n, h, w) 0/1 mask outside its (n, 4) xyxy box in mask pixels: the
    half-open crop ``x1 <= c < x2``, ``y1 <= r < y2`` of ``masks.rs``."""

# ---------------------------------------------------------------- tracking (rust/src/py/tracker.rs)
class TrackerCore:
    """One tracker's state and per-frame update, for every ``tracker_type`` of the shipped tracker YAML files
    (``rust/src/tracker_settings.rs`` reads the settings and builds the tracker)."""

    def __init__(self, settings: dict[str, Any]) -> None:
        """``settings``: the validated tracker YAML (``load_tracker_config``) plus ``frame_rate`` (not needed by
        TrackTrack). ValueError: a key missing, a value out of range; TypeError: a value of the wrong type."""
    def update(
        self,
        dets: npt.NDArray[np.float32],
        warp: npt.NDArray[np.float64] | None = None,
        feats: npt.NDArray[np.float32] | None = None,
        dets_del: npt.NDArray[np.float32] | None = None,
    ) -> npt.NDArray[np.float32]:
        """(n, 6) detections -> (m, 8) ``[x1, y1, x2, y2, id, score, cls, idx]`` for returned tracks (Kalman
        boxes, not clipped). ``warp`` (2, 3): trackers with camera-motion compensation; ``feats`` (n, d): ReID
        embeddings; ``dets_del`` (k, 6): detections the frame's NMS removed (TrackTrack)."""
    def high_indices(self, dets: npt.NDArray[np.float32]) -> npt.NDArray[np.int64]:
        """Rows of (n, 6) ``dets`` that are high detections (float32 ``score >= track_high_thresh``, w > 0, h > 0)."""
    def reset(self) -> None: ...
    @property
    def kind(self) -> str:
        """The ``tracker_type`` this tracker runs."""
    @property
    def max_time_lost(self) -> int:
        """Frames a lost track lives: ``int(frame_rate / 30 * track_buffer)`` (TrackTrack: ``track_buffer``)."""
    @property
    def frame_id(self) -> int: ...
    @property
    def next_id(self) -> int: ...
    @property
    def has_unconfirmed(self) -> bool: ...
    def tracks(self) -> list[tuple[int, int, bool, int, int, float, float, int]]: ...

def clip_boxes(boxes: npt.NDArray[np.float32], orig_hw: tuple[int, int]) -> npt.NDArray[np.float32]:
    """Float32 copy of (n, k >= 4) ``boxes`` with x1, x2 clipped to [0, w] and y1, y2 to [0, h] (``clip_boxes``)."""

# ---------------------------------------------------------------- tracking evaluation (rust/src/py/trackeval.rs)
def trackeval_mot(
    sequences: list[tuple[str, str, str, int]],
    benchmark: str = "MOT17",
    do_preproc: bool = True,
    threads: int = 1,
    masks: bool = False,
) -> dict[str, dict[str, dict[str, Any]]]:
    """TrackEval 1.3.0's MOTChallenge 2D box scores (``masks=True``: MOTS, RLE lines) of
    ``(name, gt_text, res_text, seq_len)`` sequences:
    ``{name | "COMBINED_SEQ": {"HOTA" | "CLEAR" | "Identity" | "Count": {field: value}}}`` (HOTA's array fields
    per alpha). A bad file raises ``ValueError(message, seq, "gt" | "res" | "data", line)``."""

def rle_encode(mask: npt.NDArray[np.uint8]) -> str:
    """pycocotools' compressed RLE ``counts`` string of a ``(h, w)`` uint8 mask (nonzero = set)."""

# ---------------------------------------------------------------- probes
# Test-only probes (cargo feature ``probes``: rust/src/py/probes.rs, ocsort.rs, fasttrack.rs, tracktrack.rs,
# contours.rs). The test install builds them (README: Run the tests); the wheel leaves them out. Every name below this
# line exists only with the feature (tests/test_stubs.py).

def find_contours(
    mask: npt.NDArray[np.uint8 | np.bool_], offset: tuple[int, int] = (0, 0)
) -> list[npt.NDArray[np.int32]]:
    """``cv2.findContours(mask, RETR_EXTERNAL, CHAIN_APPROX_SIMPLE)[0]`` as (k, 2) int32 arrays."""

def mask_to_polygon(
    mask: npt.NDArray[np.uint8 | np.bool_], offset: tuple[int, int] = (0, 0)
) -> npt.NDArray[np.float32]:
    """Ultralytics ``masks2segments(mask[None], "all")[0]``: contours merged into one (k, 2) polygon."""

def ocsort_velocity(
    frames: npt.NDArray[np.int64], boxes_: npt.NDArray[np.float32], delta_t: int
) -> npt.NDArray[np.float32] | None:
    """OC-SORT's observation-centric velocity direction (float32 (2,)) of observations at strictly increasing
    ``frames`` with float32 (k, 4) xyxy boxes; None with fewer than two."""

def ocsort_ocm_cost(
    last_obs: npt.NDArray[np.float32], velocity: npt.NDArray[np.float32], dets: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """OC-SORT's velocity-direction (OCM) cost, float32 (n, m): tracks' last observations (n, 4) and velocities
    (n, 2) (NaN row: none) against detection boxes (m, 4)."""

def ocsort_oru(
    mean: npt.NDArray[np.float64],
    covariance: npt.NDArray[np.float64],
    last_obs: npt.NDArray[np.float32],
    new_obs: npt.NDArray[np.float32],
    gap: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """OC-SORT's observation-centric re-update: the XYAH Kalman replay over ``gap`` frames from ``last_obs`` to
    ``new_obs`` (xyxy), starting from the state saved at the last observation."""

class KalmanFilter:
    """Constant-velocity Kalman filter, ``kind`` ``"xyah"`` (ByteTrack) or ``"xywh"`` (BoT-SORT)."""

    def __init__(self, kind: str) -> None: ...
    def initiate(
        self, measurement: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
    def predict(
        self, mean: npt.NDArray[np.float64], covariance: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
    def update(
        self, mean: npt.NDArray[np.float64], covariance: npt.NDArray[np.float64], measurement: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...

def lapjv(
    cost: npt.NDArray[np.float64], cost_limit: float = ...
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """``lap.lapjv(cost, extend_cost=True, cost_limit=cost_limit)[1:]``: row->col and col->row, -1 unmatched."""

def linear_assignment(
    cost: npt.NDArray[np.float32], thresh: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Ultralytics ``matching.linear_assignment``: (matches (k, 2), unmatched rows, unmatched cols)."""

def iou_matrix(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Pairwise IoU of (n, 4) and (m, 4) xyxy boxes (``inter / (a1 + a2 - inter + 1e-7)``)."""

def fasttrack_max_cover(
    active_boxes: npt.NDArray[np.float32],
    active_ids: npt.NDArray[np.int64],
    unmatched_boxes: npt.NDArray[np.float32],
    unmatched_ids: npt.NDArray[np.int64],
) -> npt.NDArray[np.float32]:
    """FastTrack: per unmatched box, the largest float32 ``bbox_ioa(active, unmatched)`` over active boxes of
    another id (0 without active boxes)."""

def fasttrack_roll_back(
    mean: npt.NDArray[np.float64],
    covariance: npt.NDArray[np.float64],
    hist_means: npt.NDArray[np.float64],
    hist_covs: npt.NDArray[np.float64],
    reset_velocity_offset_occ: int,
    reset_pos_offset_occ: int,
    enlarge_bbox_occ: float,
    dampen_motion_occ: float,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """FastTrack's Kalman state at occlusion onset, over a (k, 8) / (k, 8, 8) history (oldest first)."""

def tracktrack_hmiou(
    a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """TrackTrack's ``_hmiou_distance`` of float32 xyxy boxes: ``(iou, 1 - HIoU * IoU)``, float32 ``(n, m)``."""

def tracktrack_iterative_associate(
    cost: npt.NDArray[np.float32], match_thr: float, reduce_step: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """TrackTrack's ``_iterative_associate``: ``(matches (k, 2), unmatched_rows, unmatched_cols)``."""

def tracktrack_tai(
    tracks: npt.NDArray[np.float32],
    dets: npt.NDArray[np.float32],
    scores: npt.NDArray[np.float32],
    tai_thr: float,
    new_track_thresh: float,
) -> list[bool]:
    """TrackTrack's track-aware NMS: which detections may start a track."""
