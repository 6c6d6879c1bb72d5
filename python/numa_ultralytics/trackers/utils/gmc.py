"""Global motion compensation (camera motion between frames) for BoT-SORT, with OpenCV.

A port of Ultralytics 8.4.190's ``trackers/utils/gmc.py``: the estimated 2x3 affine maps the previous
frame to the current one; it is the identity on the first frame, for ``method=None``, and whenever the
estimation fails. The default (``sparseOptFlow``) works on the grey frame downscaled by 2: Shi-Tomasi
corners (``goodFeaturesToTrack``: 400 corners, quality 0.01, min distance 0, block size 3), pyramidal
Lucas-Kanade flow of the previous frame's corners, ``estimateAffinePartial2D`` (RANSAC) on the tracked
ones (more than 4 needed), translation scaled back by 2.

``prefetch(frame)`` starts a frame's estimation on a worker thread as soon as the frame is decoded (the pipelined
loop, engine/model.py), overlapping inference; the tracker's ``apply(frame)`` then takes that result. Methods that
need only the frame (``FRAME_ONLY_METHODS``: sparseOptFlow, ecc) are prefetched; ORB/SIFT mask the detections out,
which exist only after inference, so they always run in ``apply``. Frames are estimated in order on one thread, so
the warps equal the serial ones.
"""

from __future__ import annotations

import copy
import logging
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import cv2
import numpy as np

LOGGER = logging.getLogger("numa_ultralytics")

FRAME_ONLY_METHODS = ("sparseOptFlow", "ecc")  # estimated from the frame alone: can start before inference ends


class GMC:
    """Estimate a 2x3 affine camera-motion warp between consecutive frames.

    Args:
        method: ``"sparseOptFlow"`` (default), ``"orb"``, ``"sift"``, ``"ecc"``, or ``"none"``/``None``.
        downscale: frames are shrunk by this factor before processing (at least 1).
    """

    prevFrame: Any  # np.ndarray once a frame was seen
    prevKeyPoints: Any  # cv2 keypoints (features) or an (n, 1, 2) float32 array (optical flow)
    prevDescriptors: Any

    def __init__(self, method: str | None = "sparseOptFlow", downscale: int = 2) -> None:
        self.method = method
        self.downscale = max(1, int(downscale))
        self.detector: cv2.Feature2D
        self.extractor: cv2.Feature2D
        if self.method == "orb":
            self.detector = cv2.FastFeatureDetector.create(20)
            self.extractor = cv2.ORB.create()
            self.matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
        elif self.method == "sift":
            self.detector = cv2.SIFT.create(nOctaveLayers=3, contrastThreshold=0.02, edgeThreshold=20)
            self.extractor = cv2.SIFT.create(nOctaveLayers=3, contrastThreshold=0.02, edgeThreshold=20)
            self.matcher = cv2.BFMatcher(cv2.NORM_L2)
        elif self.method == "ecc":
            self.warp_mode = cv2.MOTION_EUCLIDEAN
            self.criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 5000, 1e-6)
        elif self.method == "sparseOptFlow":
            self.feature_params = {
                "maxCorners": 400,
                "qualityLevel": 0.01,
                "minDistance": 0,
                "blockSize": 3,
                "useHarrisDetector": False,
                "k": 0.04,
            }
        elif self.method in {"none", "None", None}:
            self.method = None
        else:
            raise ValueError(f"Unknown GMC method: {method!r}; allowed: sparseOptFlow, orb, sift, ecc, none")
        self._pool: ThreadPoolExecutor | None = None  # prefetch's worker thread, started by the first prefetch
        self.reset_params()

    def prefetch(self, raw_frame: np.ndarray) -> bool:
        """Start estimating ``raw_frame``'s warp on the worker thread (methods in ``FRAME_ONLY_METHODS``); the next
        ``apply`` of this very frame object returns it. Frames must then be applied in the order they were
        prefetched. False (nothing started) for the other methods."""
        if self.method not in FRAME_ONLY_METHODS:
            return False
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="numa-gmc")
        self._pending.append((raw_frame, self._pool.submit(self._estimate_keeping_state, raw_frame)))
        return True

    def _estimate_keeping_state(self, raw_frame: np.ndarray) -> tuple[np.ndarray, tuple[Any, ...]]:
        """(warp, the state before it): the state lets ``discard_prefetched`` undo estimates never applied."""
        before = (self.prevFrame, self.prevKeyPoints, self.prevDescriptors, self.initializedFirstFrame)
        return self._apply_now(raw_frame, None), before

    def discard_prefetched(self) -> None:
        """End of a run: drop the estimates started but not applied (a run that stopped early), put the state back
        where the first of them found it (the next frame continues from the last frame applied), and let the worker
        thread go."""
        pending = self._pending
        if self._pool is not None:
            self._pool.shutdown(wait=False)  # queued estimates still run; the thread ends after them
            self._pool = None
        if not pending:
            return
        first = None
        for _, fut in pending:
            try:
                _, before = fut.result()
            except Exception:  # noqa: BLE001 - a failed estimate left no state to undo
                continue
            first = before if first is None else first
        pending.clear()
        if first is not None:
            self.prevFrame, self.prevKeyPoints, self.prevDescriptors, self.initializedFirstFrame = first

    def reset_params(self) -> None:
        """Forget the previous frame (the next one is a first frame again); estimates prefetched are dropped."""
        pending = getattr(self, "_pending", None)
        for _, fut in pending or ():
            fut.exception()  # wait: the worker must not write the state after the reset
        self._pending: deque[tuple[np.ndarray, Future[tuple[np.ndarray, tuple[Any, ...]]]]] = deque()
        self.prevFrame = None
        self.prevKeyPoints = None
        self.prevDescriptors = None
        self.initializedFirstFrame = False

    def apply(self, raw_frame: np.ndarray, detections: np.ndarray | None = None) -> np.ndarray:
        """The 2x3 warp from the previous frame to ``raw_frame`` (BGR or grey). ``detections`` (xyxy rows) are
        masked out of keypoint detection by ``orb``/``sift``. A frame ``prefetch``-ed takes its estimate."""
        if self._pending:
            frame, fut = self._pending[0]
            if frame is not raw_frame:
                self.discard_prefetched()
                raise RuntimeError("GMC.apply: frames must be applied in the order they were prefetched")
            self._pending.popleft()
            return fut.result()[0]
        return self._apply_now(raw_frame, detections)

    def _apply_now(self, raw_frame: np.ndarray, detections: np.ndarray | None) -> np.ndarray:
        if self.method in {"orb", "sift"}:
            return self.apply_features(raw_frame, detections)
        if self.method == "ecc":
            return self.apply_ecc(raw_frame)
        if self.method == "sparseOptFlow":
            return self.apply_sparseoptflow(raw_frame)
        return np.eye(2, 3)

    @staticmethod
    def _grey(raw_frame: np.ndarray) -> tuple[np.ndarray, int, int]:
        height, width = raw_frame.shape[:2]
        c = raw_frame.shape[2] if raw_frame.ndim == 3 else 1
        frame = cv2.cvtColor(raw_frame, cv2.COLOR_BGR2GRAY) if c == 3 else raw_frame
        return frame, height, width

    def apply_ecc(self, raw_frame: np.ndarray) -> np.ndarray:
        """ECC (euclidean) alignment to the previous frame."""
        frame, height, width = self._grey(raw_frame)
        H = np.eye(2, 3, dtype=np.float32)
        if self.downscale > 1.0:
            frame = cv2.GaussianBlur(frame, (3, 3), 1.5)
            frame = cv2.resize(frame, (width // self.downscale, height // self.downscale))
        if not self.initializedFirstFrame:
            self.prevFrame = frame.copy()
            self.initializedFirstFrame = True
            return H
        try:
            (_, H) = cv2.findTransformECC(self.prevFrame, frame, H, self.warp_mode, self.criteria, None, 1)
            H[:, 2] *= (width / frame.shape[1], height / frame.shape[0])
        except Exception as e:  # noqa: BLE001 - OpenCV raises cv2.error on non-convergence
            LOGGER.warning(f"findTransformECC failed; using identity warp. {e}")
        self.prevFrame = frame.copy()
        return H

    def apply_features(self, raw_frame: np.ndarray, detections: np.ndarray | None = None) -> np.ndarray:
        """ORB or SIFT keypoint matching against the previous frame, outside the detections."""
        frame, height, width = self._grey(raw_frame)
        H = np.eye(2, 3)
        if self.downscale > 1.0:
            frame = cv2.resize(frame, (width // self.downscale, height // self.downscale))
            width = width // self.downscale
            height = height // self.downscale
        mask = np.zeros_like(frame)
        mask[int(0.02 * height) : int(0.98 * height), int(0.02 * width) : int(0.98 * width)] = 255
        if detections is not None:
            for det in detections:
                tlbr = (np.asarray(det[:4]) / self.downscale).astype(np.int_)
                mask[tlbr[1] : tlbr[3], tlbr[0] : tlbr[2]] = 0
        keypoints = self.detector.detect(frame, mask)
        keypoints, descriptors = self.extractor.compute(frame, keypoints)
        if not self.initializedFirstFrame:
            self.prevFrame = frame.copy()
            self.prevKeyPoints = copy.copy(keypoints)
            self.prevDescriptors = copy.copy(descriptors)
            self.initializedFirstFrame = True
            return H
        knn: Any = (
            self.matcher.knnMatch(self.prevDescriptors, descriptors, 2)
            if self.prevDescriptors is not None and descriptors is not None
            else []
        )
        shifts: list[tuple[float, float]] = []
        prev_pts: list[Any] = []
        curr_pts: list[Any] = []
        max_dist = 0.25 * np.array([width, height])
        for matches in knn:
            if len(matches) < 2:
                continue
            m, n = matches
            if m.distance < 0.9 * n.distance:
                p = self.prevKeyPoints[m.queryIdx].pt
                q = keypoints[m.trainIdx].pt
                d = (p[0] - q[0], p[1] - q[1])
                if abs(d[0]) < max_dist[0] and abs(d[1]) < max_dist[1]:
                    shifts.append(d)
                    prev_pts.append(p)
                    curr_pts.append(q)
        if not shifts:
            self.prevFrame = frame.copy()
            self.prevKeyPoints = copy.copy(keypoints)
            self.prevDescriptors = copy.copy(descriptors)
            return H
        spatial = np.asarray(shifts).reshape(-1, 2)
        inliers = np.abs(spatial - np.mean(spatial, 0)) <= 2.5 * np.std(spatial, 0)
        good = inliers.all(axis=1)
        prev_arr = np.asarray(prev_pts).reshape(-1, 2)[good]
        curr_arr = np.asarray(curr_pts).reshape(-1, 2)[good]
        H = self._estimate(prev_arr, curr_arr, H)
        self.prevFrame = frame.copy()
        self.prevKeyPoints = copy.copy(keypoints)
        self.prevDescriptors = copy.copy(descriptors)
        return H

    def apply_sparseoptflow(self, raw_frame: np.ndarray) -> np.ndarray:
        """Sparse Lucas-Kanade optical flow of the previous frame's corners."""
        frame, height, width = self._grey(raw_frame)
        H = np.eye(2, 3)
        if self.downscale > 1.0:
            frame = cv2.resize(frame, (width // self.downscale, height // self.downscale))
        keypoints = cv2.goodFeaturesToTrack(frame, mask=None, **self.feature_params)  # type: ignore[call-overload]
        resized = self.prevFrame is not None and self.prevFrame.shape != frame.shape
        if not self.initializedFirstFrame or self.prevKeyPoints is None or resized:
            # A new frame size starts over (Ultralytics would fail, and log, on every later frame).
            self.prevFrame = frame.copy()
            self.prevKeyPoints = copy.copy(keypoints)
            self.initializedFirstFrame = True
            return H
        matched, status, _ = cv2.calcOpticalFlowPyrLK(self.prevFrame, frame, self.prevKeyPoints, None)
        good = status.ravel().astype(bool)
        H = self._estimate(self.prevKeyPoints[good], matched[good], H)
        self.prevFrame = frame.copy()
        self.prevKeyPoints = copy.copy(keypoints)
        return H

    def _estimate(self, prev_pts: np.ndarray, curr_pts: np.ndarray, H: np.ndarray) -> np.ndarray:
        if prev_pts.shape[0] > 4:
            H_est = cv2.estimateAffinePartial2D(prev_pts, curr_pts, cv2.RANSAC)[0]
            if H_est is None:
                LOGGER.warning("affine estimation failed")
            else:
                H = H_est
                if self.downscale > 1.0:
                    H[0, 2] *= self.downscale
                    H[1, 2] *= self.downscale
        else:
            LOGGER.warning("not enough matching points")
        return H
