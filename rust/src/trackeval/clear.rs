//! CLEAR MOT metrics as TrackEval's `metrics/clear.py`: per frame an assignment at IoU >= 0.5
//! that keeps the previous frame's pairs first (score `1000 * kept + IoU`), then MOTA, MOTP,
//! IDSW, fragmentations and mostly tracked / lost counts.

use super::lsap::max_score_assignment;
use super::mot_data::SeqData;
use super::{python_sum, EPS};

/// TrackEval's default match threshold.
pub const THRESHOLD: f64 = 0.5;

/// CLEAR's fields for one sequence or a combination.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Clear {
    pub tp: f64,
    pub fn_: f64,
    pub fp: f64,
    pub idsw: f64,
    pub mt: f64,
    pub pt: f64,
    pub ml: f64,
    pub frag: f64,
    pub frames: f64,
    pub motp_sum: f64,
    pub mota: f64,
    pub motp: f64,
    pub moda: f64,
    pub re: f64,
    pub pr: f64,
    pub mtr: f64,
    pub ptr: f64,
    pub mlr: f64,
    pub smota: f64,
    pub f1: f64,
    pub fp_per_frame: f64,
    pub motal: f64,
}

impl Clear {
    /// `(TrackEval field name, value, is an integer field)`.
    pub fn fields(&self) -> [(&'static str, f64, bool); 22] {
        [
            ("MOTA", self.mota, false),
            ("MOTP", self.motp, false),
            ("MODA", self.moda, false),
            ("CLR_Re", self.re, false),
            ("CLR_Pr", self.pr, false),
            ("MTR", self.mtr, false),
            ("PTR", self.ptr, false),
            ("MLR", self.mlr, false),
            ("sMOTA", self.smota, false),
            ("CLR_F1", self.f1, false),
            ("FP_per_frame", self.fp_per_frame, false),
            ("MOTAL", self.motal, false),
            ("MOTP_sum", self.motp_sum, false),
            ("CLR_TP", self.tp, true),
            ("CLR_FN", self.fn_, true),
            ("CLR_FP", self.fp, true),
            ("IDSW", self.idsw, true),
            ("MT", self.mt, true),
            ("PT", self.pt, true),
            ("ML", self.ml, true),
            ("Frag", self.frag, true),
            ("CLR_Frames", self.frames, true),
        ]
    }

    /// `_compute_final_fields`.
    fn finish(&mut self) {
        let ids = (self.mt + self.ml + self.pt).max(1.0);
        self.mtr = self.mt / ids;
        self.mlr = self.ml / ids;
        self.ptr = self.pt / ids;
        let gt = (self.tp + self.fn_).max(1.0);
        self.re = self.tp / gt;
        self.pr = self.tp / (self.tp + self.fp).max(1.0);
        self.moda = (self.tp - self.fp) / gt;
        self.mota = (self.tp - self.fp - self.idsw) / gt;
        self.motp = self.motp_sum / self.tp.max(1.0);
        self.smota = (self.motp_sum - self.fp - self.idsw) / gt;
        self.f1 = self.tp / (self.tp + 0.5 * self.fn_ + 0.5 * self.fp).max(1.0);
        self.fp_per_frame = self.fp / self.frames.max(1.0);
        let log_idsw = if self.idsw > 0.0 {
            self.idsw.log10()
        } else {
            self.idsw
        };
        self.motal = (self.tp - self.fp - log_idsw) / gt;
    }
}

/// CLEAR of one sequence (`CLEAR.eval_sequence`).
pub fn eval_sequence(d: &SeqData) -> Clear {
    let mut res = Clear::default();
    if d.num_tracker_dets == 0 {
        res.fn_ = d.num_gt_dets as f64;
        res.ml = d.num_gt_ids as f64;
        res.mlr = 1.0;
        return res;
    }
    if d.num_gt_dets == 0 {
        res.fp = d.num_tracker_dets as f64;
        res.mlr = 1.0;
        return res;
    }
    let ng = d.num_gt_ids;
    let mut gt_count = vec![0u32; ng];
    let mut gt_matched = vec![0u32; ng];
    let mut gt_frag = vec![0u32; ng];
    const NONE: usize = usize::MAX;
    let mut prev_tracker = vec![NONE; ng];
    let mut prev_step = vec![NONE; ng];
    let (mut tp, mut fn_, mut fp, mut idsw) = (0usize, 0usize, 0usize, 0usize);
    for ((g, r), sim) in d.gt_ids.iter().zip(&d.tracker_ids).zip(&d.similarity) {
        if g.is_empty() {
            fp += r.len();
            continue;
        }
        if r.is_empty() {
            fn_ += g.len();
            for &gi in g {
                gt_count[gi] += 1;
            }
            continue;
        }
        let nc = sim.cols;
        let score: Vec<f64> = (0..sim.rows * nc)
            .map(|k| {
                let s = sim.data[k];
                if s < THRESHOLD - EPS {
                    0.0
                } else {
                    let kept = prev_step[g[k / nc]] == r[k % nc];
                    1000.0 * f64::from(u8::from(kept)) + s
                }
            })
            .collect();
        let (rows, cols) = max_score_assignment(&score, sim.rows, nc);
        let mut matched = Vec::with_capacity(rows.len());
        for (&i, &j) in rows.iter().zip(&cols) {
            if score[i * nc + j] > EPS {
                matched.push((i, j));
            }
        }
        for &(i, j) in &matched {
            let p = prev_tracker[g[i]];
            if p != NONE && p != r[j] {
                idsw += 1;
            }
        }
        for &gi in g {
            gt_count[gi] += 1;
        }
        let not_prev: Vec<bool> = prev_step.iter().map(|&p| p == NONE).collect();
        prev_step.fill(NONE);
        for &(i, j) in &matched {
            gt_matched[g[i]] += 1;
            prev_tracker[g[i]] = r[j];
            prev_step[g[i]] = r[j];
        }
        for k in 0..ng {
            if not_prev[k] && prev_step[k] != NONE {
                gt_frag[k] += 1;
            }
        }
        tp += matched.len();
        fn_ += g.len() - matched.len();
        fp += r.len() - matched.len();
        if !matched.is_empty() {
            res.motp_sum += python_sum(matched.iter().map(|&(i, j)| sim.at(i, j)));
        }
    }
    let (mut mt, mut pt) = (0usize, 0usize);
    for k in 0..ng {
        if gt_count[k] > 0 {
            let ratio = f64::from(gt_matched[k]) / f64::from(gt_count[k]);
            if ratio > 0.8 {
                mt += 1;
            }
            if ratio >= 0.2 {
                pt += 1;
            }
        }
    }
    pt -= mt;
    res.mt = mt as f64;
    res.pt = pt as f64;
    res.ml = (ng - mt - pt) as f64;
    res.frag = gt_frag
        .iter()
        .filter(|&&f| f > 0)
        .map(|&f| f64::from(f - 1))
        .sum();
    res.tp = tp as f64;
    res.fn_ = fn_ as f64;
    res.fp = fp as f64;
    res.idsw = idsw as f64;
    res.frames = d.num_timesteps() as f64;
    res.finish();
    res
}

/// CLEAR over several sequences (`CLEAR.combine_sequences`: counts and `MOTP_sum` summed).
pub fn combine(all: &[&Clear]) -> Clear {
    let sum = |f: fn(&Clear) -> f64| python_sum(all.iter().map(|c| f(c)));
    let mut res = Clear {
        tp: sum(|c| c.tp),
        fn_: sum(|c| c.fn_),
        fp: sum(|c| c.fp),
        idsw: sum(|c| c.idsw),
        mt: sum(|c| c.mt),
        pt: sum(|c| c.pt),
        ml: sum(|c| c.ml),
        frag: sum(|c| c.frag),
        frames: sum(|c| c.frames),
        motp_sum: sum(|c| c.motp_sum),
        ..Clear::default()
    };
    res.finish();
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trackeval::Mat;

    fn one_object(tr: &[Option<usize>]) -> SeqData {
        let mut d = SeqData::default();
        for t in tr {
            d.gt_ids.push(vec![0]);
            d.tracker_ids.push(t.iter().copied().collect());
            d.similarity.push(Mat {
                rows: 1,
                cols: t.iter().count(),
                data: vec![1.0; t.iter().count()],
            });
        }
        d.num_gt_ids = 1;
        d.num_gt_dets = tr.len();
        d.num_tracker_dets = tr.iter().flatten().count();
        d.num_tracker_ids = tr.iter().flatten().max().map_or(0, |m| m + 1);
        d
    }

    #[test]
    fn switch_and_fragment() {
        // matched, matched, gap, matched by another id
        let c = eval_sequence(&one_object(&[Some(0), Some(0), None, Some(1)]));
        assert_eq!((c.tp, c.fn_, c.fp, c.idsw), (3.0, 1.0, 0.0, 1.0));
        // the frame without results keeps "previous step" (TrackEval skips it), so no fragment
        assert_eq!(c.frag, 0.0);
        assert_eq!(c.mt, 0.0);
        assert_eq!(c.pt, 1.0);
        assert!((c.mota - 0.5).abs() < 1e-15);
    }

    #[test]
    fn empty_result() {
        let c = eval_sequence(&one_object(&[None, None]));
        assert_eq!((c.fn_, c.ml, c.mlr, c.mota), (2.0, 1.0, 1.0, 0.0));
        let both = combine(&[&c, &c]);
        assert_eq!(both.ml, 2.0);
        assert_eq!(both.mlr, 1.0);
    }
}
