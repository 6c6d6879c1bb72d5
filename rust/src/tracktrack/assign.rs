//! TrackTrack's association pieces: HMIoU, the iterative assignment of mutually nearest pairs,
//! the track-aware NMS of new tracks (TAI).

use std::collections::HashSet;

use crate::iou::{iou, iou_matrix, Xyxy};

/// `_hmiou_distance` on float32 boxes: `(iou, 1 - HIoU * IoU)`, row-major `(a.len(), b.len())`.
pub fn hmiou_distance(a: &[Xyxy], b: &[Xyxy]) -> (Vec<f32>, Vec<f32>) {
    let iou_sim = iou_matrix(a, b);
    let mut dist = Vec::with_capacity(iou_sim.len());
    for (i, ba) in a.iter().enumerate() {
        for (j, bb) in b.iter().enumerate() {
            let over = ba[3].min(bb[3]) - ba[1].max(bb[1]);
            let union = ba[3].max(bb[3]) - ba[1].min(bb[1]);
            let h = (over / (union + 1e-9f32)).clamp(0.0, 1.0);
            dist.push(1.0f32 - h * iou_sim[i * b.len() + j]);
        }
    }
    (iou_sim, dist)
}

/// The result of [`iterative_associate`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Association {
    pub matches: Vec<(usize, usize)>,
    pub unmatched_rows: Vec<usize>,
    pub unmatched_cols: Vec<usize>,
}

/// First index of the minimum (`np.argmin`; NaN counts as the minimum).
fn argmin<I: Iterator<Item = f32>>(it: I) -> usize {
    let mut best = 0;
    let mut bv = f32::INFINITY;
    let mut first = true;
    for (i, v) in it.enumerate() {
        if first {
            best = i;
            bv = v;
            first = false;
            if v.is_nan() {
                return i;
            }
            continue;
        }
        if v.is_nan() {
            return i;
        }
        if v < bv {
            bv = v;
            best = i;
        }
    }
    best
}

/// `_iterative_associate`: mutually nearest pairs with cost `< thr`, then `thr -= reduce_step`,
/// until a round finds none. `cost` is row-major float32 `(rows, cols)`.
pub fn iterative_associate(
    cost: &[f32],
    rows: usize,
    cols: usize,
    match_thr: f64,
    reduce_step: f64,
) -> Association {
    let mut c = cost.to_vec();
    let mut thr = match_thr;
    let mut matches: Vec<(usize, usize)> = Vec::new();
    if rows > 0 && cols > 0 {
        loop {
            let nd: Vec<usize> = (0..rows)
                .map(|r| argmin(c[r * cols..(r + 1) * cols].iter().copied()))
                .collect();
            let nt: Vec<usize> = (0..cols)
                .map(|j| argmin((0..rows).map(|r| c[r * cols + j])))
                .collect();
            let t32 = thr as f32;
            let new: Vec<(usize, usize)> = (0..rows)
                .filter(|&r| nt[nd[r]] == r && c[r * cols + nd[r]] < t32)
                .map(|r| (r, nd[r]))
                .collect();
            if new.is_empty() {
                break;
            }
            for &(r, d) in &new {
                c[r * cols..(r + 1) * cols].fill(f32::INFINITY);
                for rr in 0..rows {
                    c[rr * cols + d] = f32::INFINITY;
                }
            }
            matches.extend(new);
            thr -= reduce_step;
        }
    }
    let mr: HashSet<usize> = matches.iter().map(|m| m.0).collect();
    let mc: HashSet<usize> = matches.iter().map(|m| m.1).collect();
    Association {
        unmatched_rows: (0..rows).filter(|r| !mr.contains(r)).collect(),
        unmatched_cols: (0..cols).filter(|j| !mc.contains(j)).collect(),
        matches,
    }
}

/// `_track_aware_nms`: which detections may start a track (score `> new_track_thresh`, IoU with
/// every track `<= tai_thr`, not suppressed by a stronger allowed detection with IoU `> tai_thr`).
pub fn track_aware_nms(
    tracks: &[Xyxy],
    dets: &[Xyxy],
    scores: &[f32],
    tai_thr: f32,
    new_track_thresh: f32,
) -> Vec<bool> {
    if dets.is_empty() {
        return Vec::new();
    }
    let mut allow: Vec<bool> = scores.iter().map(|&s| s > new_track_thresh).collect();
    let (nt, nd) = (tracks.len(), dets.len());
    if nt + nd < 2 {
        return allow;
    }
    if nt > 0 {
        for (i, d) in dets.iter().enumerate() {
            // `max` over the row (NaN-propagating like numpy).
            let mut m = f32::NEG_INFINITY;
            for t in tracks {
                let v = iou(d, t);
                if v.is_nan() || m.is_nan() {
                    m = f32::NAN;
                } else if v > m {
                    m = v;
                }
            }
            allow[i] &= m <= tai_thr;
        }
    }
    // scores.argsort()[::-1]: stable ascending, reversed.
    let mut order: Vec<usize> = (0..nd).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    order.reverse();
    for &i in &order {
        if !allow[i] {
            continue;
        }
        for j in 0..nd {
            if j != i && iou(&dets[i], &dets[j]) > tai_thr {
                allow[j] = false;
            }
        }
    }
    allow
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmiou_is_height_iou_times_iou() {
        let a = [[0.0, 0.0, 10.0, 10.0]];
        let b = [
            [0.0, 0.0, 10.0, 10.0],
            [0.0, 5.0, 10.0, 15.0],
            [20.0, 0.0, 30.0, 10.0],
        ];
        let (iou, d) = hmiou_distance(&a, &b);
        assert_eq!(d[0], 0.0);
        // IoU 50/150, height IoU 5/15.
        assert_eq!(d[1], 1.0 - (5.0f32 / (15.0 + 1e-9)) * iou[1]);
        assert_eq!((iou[2], d[2]), (0.0, 1.0));
    }

    #[test]
    fn iterative_assignment_shrinks_its_threshold() {
        // Round 1 (thr 0.5) takes (0, 0); round 2 (thr 0.45) takes nothing at 0.46, so it stops.
        let cost = [0.1, 0.3, 0.2, 0.46];
        let a = iterative_associate(&cost, 2, 2, 0.5, 0.05);
        assert_eq!(a.matches, vec![(0, 0)]);
        assert_eq!((a.unmatched_rows, a.unmatched_cols), (vec![1], vec![1]));
        // With a smaller step the second pair is taken in round 2.
        let a = iterative_associate(&cost, 2, 2, 0.5, 0.01);
        assert_eq!(a.matches, vec![(0, 0), (1, 1)]);
        assert_eq!(
            iterative_associate(&[], 0, 3, 0.5, 0.05).unmatched_cols,
            vec![0, 1, 2]
        );
    }

    #[test]
    fn tai_suppresses_overlaps_with_tracks_and_weaker_detections() {
        let tracks = [[0.0, 0.0, 10.0, 10.0]];
        let dets = [
            [0.0, 0.0, 10.0, 11.0],    // on the track
            [50.0, 0.0, 60.0, 10.0],   // free, weaker twin of the next
            [50.0, 0.0, 60.0, 10.5],   // free, strongest
            [100.0, 0.0, 110.0, 10.0], // free but below new_track_thresh
        ];
        let ok = track_aware_nms(&tracks, &dets, &[0.9, 0.8, 0.85, 0.5], 0.55, 0.7);
        assert_eq!(ok, vec![false, false, true, false]);
        assert_eq!(
            track_aware_nms(&[], &dets[..1], &[0.9], 0.55, 0.7),
            vec![true]
        );
    }
}
