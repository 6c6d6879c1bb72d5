//! Identity metrics (IDF1, IDP, IDR; Ristani et al. 2016) as TrackEval's `metrics/identity.py`:
//! one global assignment of ground-truth ids to result ids over the whole sequence, on counts of
//! frames matched at IoU >= 0.5, with a dummy partner per id (scipy's assignment on the
//! `(G + T)` square cost matrix).

use super::lsap::linear_sum_assignment;
use super::mot_data::SeqData;

/// TrackEval's default match threshold.
pub const THRESHOLD: f64 = 0.5;

/// Identity's fields for one sequence or a combination.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Identity {
    pub idf1: f64,
    pub idr: f64,
    pub idp: f64,
    pub idtp: f64,
    pub idfn: f64,
    pub idfp: f64,
}

impl Identity {
    /// `(TrackEval field name, value, is an integer field)`.
    pub fn fields(&self) -> [(&'static str, f64, bool); 6] {
        [
            ("IDF1", self.idf1, false),
            ("IDR", self.idr, false),
            ("IDP", self.idp, false),
            ("IDTP", self.idtp, true),
            ("IDFN", self.idfn, true),
            ("IDFP", self.idfp, true),
        ]
    }

    fn finish(&mut self) {
        self.idr = self.idtp / (self.idtp + self.idfn).max(1.0);
        self.idp = self.idtp / (self.idtp + self.idfp).max(1.0);
        self.idf1 = self.idtp / (self.idtp + 0.5 * self.idfp + 0.5 * self.idfn).max(1.0);
    }
}

/// Identity of one sequence (`Identity.eval_sequence`).
pub fn eval_sequence(d: &SeqData) -> Identity {
    let mut res = Identity::default();
    if d.num_tracker_dets == 0 {
        res.idfn = d.num_gt_dets as f64;
        return res;
    }
    if d.num_gt_dets == 0 {
        res.idfp = d.num_tracker_dets as f64;
        return res;
    }
    let (ng, nt) = (d.num_gt_ids, d.num_tracker_ids);
    let mut potential = vec![0.0; ng * nt];
    let mut gt_count = vec![0.0; ng];
    let mut tr_count = vec![0.0; nt];
    for ((g, r), sim) in d.gt_ids.iter().zip(&d.tracker_ids).zip(&d.similarity) {
        for (i, &gi) in g.iter().enumerate() {
            for (j, &tj) in r.iter().enumerate() {
                if sim.at(i, j) >= THRESHOLD {
                    potential[gi * nt + tj] += 1.0;
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
    let n = ng + nt;
    let mut fp_mat = vec![0.0; n * n];
    let mut fn_mat = vec![0.0; n * n];
    for i in ng..n {
        fp_mat[i * n..i * n + nt].fill(1e10);
    }
    for i in 0..ng {
        fn_mat[i * n + nt..(i + 1) * n].fill(1e10);
    }
    for gi in 0..ng {
        fn_mat[gi * n..gi * n + nt].fill(gt_count[gi]);
        fn_mat[gi * n + nt + gi] = gt_count[gi];
    }
    for tj in 0..nt {
        for i in 0..ng {
            fp_mat[i * n + tj] = tr_count[tj];
        }
        fp_mat[(tj + ng) * n + tj] = tr_count[tj];
    }
    for gi in 0..ng {
        for tj in 0..nt {
            fn_mat[gi * n + tj] -= potential[gi * nt + tj];
            fp_mat[gi * n + tj] -= potential[gi * nt + tj];
        }
    }
    let cost: Vec<f64> = fn_mat.iter().zip(&fp_mat).map(|(a, b)| a + b).collect();
    // Counts and 1e10 are exact in float64, so the cost is finite and the problem feasible.
    let (rows, cols) = linear_sum_assignment(&cost, n, n).unwrap_or_default();
    let idfn: f64 = rows
        .iter()
        .zip(&cols)
        .map(|(&i, &j)| fn_mat[i * n + j])
        .sum();
    let idfp: f64 = rows
        .iter()
        .zip(&cols)
        .map(|(&i, &j)| fp_mat[i * n + j])
        .sum();
    res.idfn = idfn;
    res.idfp = idfp;
    res.idtp = gt_count.iter().sum::<f64>() - idfn;
    res.finish();
    res
}

/// Identity over several sequences (counts summed).
pub fn combine(all: &[&Identity]) -> Identity {
    let mut res = Identity {
        idtp: all.iter().map(|x| x.idtp).sum(),
        idfn: all.iter().map(|x| x.idfn).sum(),
        idfp: all.iter().map(|x| x.idfp).sum(),
        ..Identity::default()
    };
    res.finish();
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trackeval::Mat;

    #[test]
    fn switch_costs_half_the_frames() {
        let mut d = SeqData::default();
        for t in [0usize, 0, 1, 1] {
            d.gt_ids.push(vec![0]);
            d.tracker_ids.push(vec![t]);
            d.similarity.push(Mat {
                rows: 1,
                cols: 1,
                data: vec![0.9],
            });
        }
        d.num_gt_ids = 1;
        d.num_tracker_ids = 2;
        d.num_gt_dets = 4;
        d.num_tracker_dets = 4;
        let r = eval_sequence(&d);
        assert_eq!((r.idtp, r.idfn, r.idfp), (2.0, 2.0, 2.0));
        assert_eq!(r.idf1, 0.5);
    }
}
