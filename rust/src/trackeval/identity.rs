//! Identity metrics (IDF1, IDP, IDR; Ristani et al. 2016) as TrackEval's `metrics/identity.py`:
//! one global assignment of ground-truth ids to result ids over the whole sequence, on counts of
//! frames matched at IoU >= 0.5, with a dummy partner per id (scipy's assignment on the
//! `(G + T)` square cost matrix).

use super::lsap::max_score_assignment;
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

/// The most frames matched by a one-to-one pairing of ground-truth and result ids: `max sum p[i, j]` over matchings.
///
/// TrackEval solves the `(G + T)` square problem with cost `(g_i - p_ij) + (t_j - p_ij)` for a pair, `g_i` / `t_j` for
/// an id left to its dummy and 0 for dummy pairs; its total is `sum g + sum t - 2 sum p` over the matched pairs, so
/// its optimum is this matching, and IDFN = `sum g - IDTP`, IDFP = `sum t - IDTP` follow exactly (integer counts in
/// float64). Ids without any frame at IoU >= 0.5 add nothing to a matching and are left out, which keeps the
/// assignment small when a result has many short false-positive ids.
fn max_matched_frames(potential: &[f64], ng: usize, nt: usize) -> f64 {
    let rows: Vec<usize> = (0..ng)
        .filter(|&i| potential[i * nt..(i + 1) * nt].iter().any(|&p| p > 0.0))
        .collect();
    let cols: Vec<usize> = (0..nt)
        .filter(|&j| rows.iter().any(|&i| potential[i * nt + j] > 0.0))
        .collect();
    let score: Vec<f64> = rows
        .iter()
        .flat_map(|&i| cols.iter().map(move |&j| potential[i * nt + j]))
        .collect();
    let (r, c) = max_score_assignment(&score, rows.len(), cols.len());
    r.iter()
        .zip(&c)
        .map(|(&i, &j)| score[i * cols.len() + j])
        .sum()
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
    let idtp = max_matched_frames(&potential, ng, nt);
    res.idfn = gt_count.iter().sum::<f64>() - idtp;
    res.idfp = tr_count.iter().sum::<f64>() - idtp;
    res.idtp = idtp;
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
    use crate::trackeval::lsap::linear_sum_assignment;
    use crate::trackeval::Mat;

    /// TrackEval's own `(G + T)` square formulation: `(IDFN, IDFP)`.
    fn trackeval_square(potential: &[f64], g: &[f64], t: &[f64]) -> (f64, f64) {
        let (ng, nt) = (g.len(), t.len());
        let n = ng + nt;
        let mut fp = vec![0.0; n * n];
        let mut fn_ = vec![0.0; n * n];
        for i in ng..n {
            fp[i * n..i * n + nt].fill(1e10);
        }
        for i in 0..ng {
            fn_[i * n + nt..(i + 1) * n].fill(1e10);
            fn_[i * n..i * n + nt].fill(g[i]);
            fn_[i * n + nt + i] = g[i];
        }
        for j in 0..nt {
            for i in 0..ng {
                fp[i * n + j] = t[j];
            }
            fp[(j + ng) * n + j] = t[j];
        }
        for i in 0..ng {
            for j in 0..nt {
                fn_[i * n + j] -= potential[i * nt + j];
                fp[i * n + j] -= potential[i * nt + j];
            }
        }
        let cost: Vec<f64> = fn_.iter().zip(&fp).map(|(a, b)| a + b).collect();
        let (r, c) = linear_sum_assignment(&cost, n, n).unwrap();
        let pick = |m: &[f64]| r.iter().zip(&c).map(|(&i, &j)| m[i * n + j]).sum();
        (pick(&fn_), pick(&fp))
    }

    #[test]
    fn matching_equals_trackevals_square_problem() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for _ in 0..300 {
            let (ng, nt) = (1 + next() % 6, 1 + next() % 9);
            let g: Vec<f64> = (0..ng).map(|_| (5 + next() % 20) as f64).collect();
            let t: Vec<f64> = (0..nt).map(|_| (1 + next() % 20) as f64).collect();
            let potential: Vec<f64> = (0..ng * nt)
                .map(|k| {
                    let cap = g[k / nt].min(t[k % nt]) as usize;
                    if next() % 3 == 0 {
                        0.0
                    } else {
                        (next() % (cap + 1)) as f64
                    }
                })
                .collect();
            let idtp = max_matched_frames(&potential, ng, nt);
            let (idfn, idfp) = trackeval_square(&potential, &g, &t);
            assert_eq!(g.iter().sum::<f64>() - idtp, idfn);
            assert_eq!(t.iter().sum::<f64>() - idtp, idfp);
        }
    }

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
