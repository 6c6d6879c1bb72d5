//! HOTA (Luiten et al. 2020) as TrackEval's `metrics/hota.py`: per alpha in 0.05..0.95, a
//! per-frame assignment maximising `global alignment x IoU`, then detection (DetA, DetRe,
//! DetPr), association (AssA, AssRe, AssPr) and localisation (LocA) scores.

use super::lsap::max_score_assignment;
use super::mot_data::SeqData;
use super::{alphas, numpy_sum, python_sum, EPS, N_ALPHAS};

type A = [f64; N_ALPHAS];

/// HOTA's fields for one sequence or a combination (per-alpha arrays, TrackEval's names).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hota {
    pub hota: A,
    pub det_a: A,
    pub ass_a: A,
    pub det_re: A,
    pub det_pr: A,
    pub ass_re: A,
    pub ass_pr: A,
    pub loc_a: A,
    pub owta: A,
    pub tp: A,
    pub fn_: A,
    pub fp: A,
    pub hota0: f64,
    pub loc_a0: f64,
    pub hota_loc_a0: f64,
}

impl Hota {
    /// `(TrackEval field name, per-alpha values)` of the array fields.
    pub fn array_fields(&self) -> [(&'static str, &A); 12] {
        [
            ("HOTA", &self.hota),
            ("DetA", &self.det_a),
            ("AssA", &self.ass_a),
            ("DetRe", &self.det_re),
            ("DetPr", &self.det_pr),
            ("AssRe", &self.ass_re),
            ("AssPr", &self.ass_pr),
            ("LocA", &self.loc_a),
            ("OWTA", &self.owta),
            ("HOTA_TP", &self.tp),
            ("HOTA_FN", &self.fn_),
            ("HOTA_FP", &self.fp),
        ]
    }

    /// `(TrackEval field name, value)` of the scalar fields.
    pub fn float_fields(&self) -> [(&'static str, f64); 3] {
        [
            ("HOTA(0)", self.hota0),
            ("LocA(0)", self.loc_a0),
            ("HOTALocA(0)", self.hota_loc_a0),
        ]
    }

    /// `_compute_final_fields`.
    fn finish(&mut self) {
        for a in 0..N_ALPHAS {
            let (tp, fn_, fp) = (self.tp[a], self.fn_[a], self.fp[a]);
            self.det_re[a] = tp / (tp + fn_).max(1.0);
            self.det_pr[a] = tp / (tp + fp).max(1.0);
            self.det_a[a] = tp / (tp + fn_ + fp).max(1.0);
            self.hota[a] = (self.det_a[a] * self.ass_a[a]).sqrt();
            self.owta[a] = (self.det_re[a] * self.ass_a[a]).sqrt();
        }
        self.hota0 = self.hota[0];
        self.loc_a0 = self.loc_a[0];
        self.hota_loc_a0 = self.hota0 * self.loc_a0;
    }
}

/// HOTA of one sequence (`HOTA.eval_sequence`).
pub fn eval_sequence(d: &SeqData) -> Hota {
    let mut res = Hota::default();
    if d.num_tracker_dets == 0 {
        res.fn_ = [d.num_gt_dets as f64; N_ALPHAS];
        res.loc_a = [1.0; N_ALPHAS];
        res.loc_a0 = 1.0;
        return res;
    }
    if d.num_gt_dets == 0 {
        res.fp = [d.num_tracker_dets as f64; N_ALPHAS];
        res.loc_a = [1.0; N_ALPHAS];
        res.loc_a0 = 1.0;
        return res;
    }
    let (ng, nt) = (d.num_gt_ids, d.num_tracker_ids);
    let mut potential = vec![0.0; ng * nt];
    let mut gt_count = vec![0.0; ng];
    let mut tr_count = vec![0.0; nt];
    let mut col_sum = Vec::new();
    let mut row_sum = Vec::new();
    for ((g, r), sim) in d.gt_ids.iter().zip(&d.tracker_ids).zip(&d.similarity) {
        let (nr, nc) = (sim.rows, sim.cols);
        if nr > 0 && nc > 0 {
            // similarity.sum(0): rows added in turn (pairwise when there is one column).
            col_sum.clear();
            if nc == 1 {
                let col: Vec<f64> = (0..nr).map(|i| sim.at(i, 0)).collect();
                col_sum.push(numpy_sum(&col));
            } else {
                col_sum.extend_from_slice(&sim.data[..nc]);
                for i in 1..nr {
                    for (j, c) in col_sum.iter_mut().enumerate() {
                        *c += sim.at(i, j);
                    }
                }
            }
            row_sum.clear();
            row_sum.extend((0..nr).map(|i| numpy_sum(&sim.data[i * nc..(i + 1) * nc])));
            for (i, &gi) in g.iter().enumerate() {
                for (j, &tj) in r.iter().enumerate() {
                    let s = sim.at(i, j);
                    let denom = col_sum[j] + row_sum[i] - s;
                    if denom > EPS {
                        potential[gi * nt + tj] += s / denom;
                    }
                }
            }
        }
        for &gi in g {
            gt_count[gi] += 1.0;
        }
        for &tj in r {
            tr_count[tj] += 1.0;
        }
    }
    let global: Vec<f64> = (0..ng * nt)
        .map(|k| {
            let p = potential[k];
            p / (gt_count[k / nt] + tr_count[k % nt] - p)
        })
        .collect();
    let alpha = alphas();
    let mut matches = vec![vec![0.0; ng * nt]; N_ALPHAS];
    for ((g, r), sim) in d.gt_ids.iter().zip(&d.tracker_ids).zip(&d.similarity) {
        if g.is_empty() {
            for fp in &mut res.fp {
                *fp += r.len() as f64;
            }
            continue;
        }
        if r.is_empty() {
            for fn_ in &mut res.fn_ {
                *fn_ += g.len() as f64;
            }
            continue;
        }
        let nc = sim.cols;
        let score: Vec<f64> = (0..sim.rows * nc)
            .map(|k| global[g[k / nc] * nt + r[k % nc]] * sim.data[k])
            .collect();
        let (rows, cols) = max_score_assignment(&score, sim.rows, nc);
        for (a, &al) in alpha.iter().enumerate() {
            let mut n = 0usize;
            let mut loc = Vec::new();
            for (&i, &j) in rows.iter().zip(&cols) {
                let s = sim.at(i, j);
                if s >= al - EPS {
                    n += 1;
                    loc.push(s);
                    matches[a][g[i] * nt + r[j]] += 1.0;
                }
            }
            res.tp[a] += n as f64;
            res.fn_[a] += (g.len() - n) as f64;
            res.fp[a] += (r.len() - n) as f64;
            if n > 0 {
                res.loc_a[a] += python_sum(loc);
            }
        }
    }
    let mut buf = vec![0.0; ng * nt];
    for (a, mc) in matches.iter().enumerate() {
        let tp = res.tp[a].max(1.0);
        let mut ratio = |f: &dyn Fn(usize, f64) -> f64| {
            for (k, b) in buf.iter_mut().enumerate() {
                let m = mc[k];
                *b = m * (m / f(k, m));
            }
            numpy_sum(&buf) / tp
        };
        res.ass_a[a] = ratio(&|k, m| (gt_count[k / nt] + tr_count[k % nt] - m).max(1.0));
        res.ass_re[a] = ratio(&|k, _| gt_count[k / nt].max(1.0));
        res.ass_pr[a] = ratio(&|k, _| tr_count[k % nt].max(1.0));
    }
    for a in 0..N_ALPHAS {
        res.loc_a[a] = res.loc_a[a].max(1e-10) / res.tp[a].max(1e-10);
    }
    res.finish();
    res
}

/// HOTA over several sequences (`HOTA.combine_sequences`).
pub fn combine(all: &[&Hota]) -> Hota {
    let mut res = Hota::default();
    for a in 0..N_ALPHAS {
        res.tp[a] = python_sum(all.iter().map(|h| h.tp[a]));
        res.fn_[a] = python_sum(all.iter().map(|h| h.fn_[a]));
        res.fp[a] = python_sum(all.iter().map(|h| h.fp[a]));
        let w = res.tp[a].max(1.0);
        res.ass_re[a] = python_sum(all.iter().map(|h| h.ass_re[a] * h.tp[a])) / w;
        res.ass_pr[a] = python_sum(all.iter().map(|h| h.ass_pr[a] * h.tp[a])) / w;
        res.ass_a[a] = python_sum(all.iter().map(|h| h.ass_a[a] * h.tp[a])) / w;
        let loc = python_sum(all.iter().map(|h| h.loc_a[a] * h.tp[a]));
        res.loc_a[a] = loc.max(1e-10) / res.tp[a].max(1e-10);
    }
    res.finish();
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trackeval::Mat;

    fn seq(frames: &[(&[usize], &[usize], &[f64])]) -> SeqData {
        let mut d = SeqData::default();
        for (g, r, s) in frames {
            d.gt_ids.push(g.to_vec());
            d.tracker_ids.push(r.to_vec());
            d.similarity.push(Mat {
                rows: g.len(),
                cols: r.len(),
                data: s.to_vec(),
            });
            d.num_gt_dets += g.len();
            d.num_tracker_dets += r.len();
        }
        d.num_gt_ids = d.gt_ids.iter().flatten().max().map_or(0, |m| m + 1);
        d.num_tracker_ids = d.tracker_ids.iter().flatten().max().map_or(0, |m| m + 1);
        d
    }

    #[test]
    fn perfect_tracking_is_one() {
        let d = seq(&[
            (&[0, 1], &[0, 1], &[1.0, 0.0, 0.0, 1.0]),
            (&[0, 1], &[0, 1], &[1.0, 0.0, 0.0, 1.0]),
        ]);
        let h = eval_sequence(&d);
        assert!(h.hota.iter().all(|&x| x == 1.0));
        assert_eq!(h.loc_a0, 1.0);
        assert_eq!(h.tp[0], 4.0);
    }

    #[test]
    fn id_switch_halves_association() {
        // one object, tracker switches id halfway: AssA = 0.5 for all alphas
        let d = seq(&[
            (&[0], &[0], &[1.0]),
            (&[0], &[0], &[1.0]),
            (&[0], &[1], &[1.0]),
            (&[0], &[1], &[1.0]),
        ]);
        let h = eval_sequence(&d);
        assert!((h.ass_a[0] - 0.5).abs() < 1e-12);
        assert!((h.hota[5] - 0.5f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn empty_result_scores_zero() {
        let d = seq(&[(&[0], &[], &[])]);
        let h = eval_sequence(&d);
        assert_eq!(h.hota, [0.0; N_ALPHAS]);
        assert_eq!(h.fn_, [1.0; N_ALPHAS]);
        let c = combine(&[&h, &h]);
        assert_eq!(c.hota0, 0.0);
        assert_eq!(c.fn_[0], 2.0);
    }
}
