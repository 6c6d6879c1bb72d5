//! Linear sum assignment as TrackEval calls it: `scipy.optimize.linear_sum_assignment(cost)`.
//!
//! A line-by-line port of scipy's `rectangular_lsap.cpp` (Crouse's shortest augmenting path,
//! PM Larsen's implementation): the remaining columns are visited in the same (reversed,
//! swap-removed) order and a column that is free wins a tie of path costs, so among equal-cost
//! optima the same one is returned as scipy 1.17 returns. A tall matrix is transposed first and
//! the pairs are returned sorted by row, as scipy does.

#![allow(clippy::needless_range_loop)] // a port of C++ index loops

/// Why no assignment exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LsapError {
    /// A NaN or `-inf` cost.
    Invalid,
    /// Every assignment has infinite cost.
    Infeasible,
}

/// Working state of one solve (the vectors of the C++ code).
struct State {
    u: Vec<f64>,
    v: Vec<f64>,
    shortest: Vec<f64>,
    path: Vec<usize>,
    col4row: Vec<usize>,
    row4col: Vec<usize>,
    sr: Vec<bool>,
    sc: Vec<bool>,
    remaining: Vec<usize>,
}

const NONE: usize = usize::MAX;

/// The shortest augmenting path from row `i`: `(sink column, minVal)`, `None` when infeasible.
fn augmenting_path(nc: usize, cost: &[f64], s: &mut State, mut i: usize) -> Option<(usize, f64)> {
    let mut min_val = 0.0_f64;
    let mut num_remaining = nc;
    for it in 0..nc {
        s.remaining[it] = nc - it - 1;
    }
    s.sr.fill(false);
    s.sc.fill(false);
    s.shortest.fill(f64::INFINITY);
    loop {
        let mut index = NONE;
        let mut lowest = f64::INFINITY;
        s.sr[i] = true;
        for it in 0..num_remaining {
            let j = s.remaining[it];
            let r = min_val + cost[i * nc + j] - s.u[i] - s.v[j];
            if r < s.shortest[j] {
                s.path[j] = i;
                s.shortest[j] = r;
            }
            if s.shortest[j] < lowest || (s.shortest[j] == lowest && s.row4col[j] == NONE) {
                lowest = s.shortest[j];
                index = it;
            }
        }
        min_val = lowest;
        if min_val == f64::INFINITY {
            return None;
        }
        let j = s.remaining[index];
        s.sc[j] = true;
        num_remaining -= 1;
        s.remaining[index] = s.remaining[num_remaining];
        if s.row4col[j] == NONE {
            return Some((j, min_val));
        }
        i = s.row4col[j];
    }
}

/// Minimum-cost assignment of the row-major `(nr, nc)` `cost`: `(rows, cols)` of the
/// `min(nr, nc)` pairs, rows ascending, exactly as `scipy.optimize.linear_sum_assignment`.
pub fn linear_sum_assignment(
    cost: &[f64],
    nr: usize,
    nc: usize,
) -> Result<(Vec<usize>, Vec<usize>), LsapError> {
    debug_assert_eq!(cost.len(), nr * nc);
    if nr == 0 || nc == 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    let transpose = nc < nr;
    let transposed;
    let (cost, nr, nc) = if transpose {
        let mut t = vec![0.0; nr * nc];
        for i in 0..nr {
            for j in 0..nc {
                t[j * nr + i] = cost[i * nc + j];
            }
        }
        transposed = t;
        (&transposed[..], nc, nr)
    } else {
        (cost, nr, nc)
    };
    if cost.iter().any(|&c| c.is_nan() || c == f64::NEG_INFINITY) {
        return Err(LsapError::Invalid);
    }
    let mut s = State {
        u: vec![0.0; nr],
        v: vec![0.0; nc],
        shortest: vec![0.0; nc],
        path: vec![NONE; nc],
        col4row: vec![NONE; nr],
        row4col: vec![NONE; nc],
        sr: vec![false; nr],
        sc: vec![false; nc],
        remaining: vec![0; nc],
    };
    for cur_row in 0..nr {
        let (sink, min_val) =
            augmenting_path(nc, cost, &mut s, cur_row).ok_or(LsapError::Infeasible)?;
        s.u[cur_row] += min_val;
        for i in 0..nr {
            if s.sr[i] && i != cur_row {
                s.u[i] += min_val - s.shortest[s.col4row[i]];
            }
        }
        for j in 0..nc {
            if s.sc[j] {
                s.v[j] -= min_val - s.shortest[j];
            }
        }
        let mut j = sink;
        loop {
            let i = s.path[j];
            s.row4col[j] = i;
            std::mem::swap(&mut s.col4row[i], &mut j);
            if i == cur_row {
                break;
            }
        }
    }
    if transpose {
        // Rows of the original are the columns here; return them ascending.
        let mut order: Vec<usize> = (0..nr).collect();
        order.sort_by_key(|&v| s.col4row[v]);
        let rows = order.iter().map(|&v| s.col4row[v]).collect();
        Ok((rows, order))
    } else {
        Ok(((0..nr).collect(), s.col4row))
    }
}

/// `linear_sum_assignment(-score)`: the maximum-score assignment as TrackEval asks for it
/// (the matrix negated first, as numpy does, then minimised).
pub fn max_score_assignment(score: &[f64], nr: usize, nc: usize) -> (Vec<usize>, Vec<usize>) {
    let neg: Vec<f64> = score.iter().map(|&x| -x).collect();
    // Scores are finite (IoU-based), so the problem is always feasible.
    linear_sum_assignment(&neg, nr, nc).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(cost: &[f64], nc: usize, r: &[usize], c: &[usize]) -> f64 {
        r.iter().zip(c).map(|(&i, &j)| cost[i * nc + j]).sum()
    }

    #[test]
    fn constant_matrix_gives_identity() {
        let (r, c) = linear_sum_assignment(&[1.0; 9], 3, 3).unwrap();
        assert_eq!(r, vec![0, 1, 2]);
        assert_eq!(c, vec![0, 1, 2]);
    }

    #[test]
    fn known_optimum() {
        let cost = [4.0, 1.0, 3.0, 2.0, 0.0, 5.0, 3.0, 2.0, 2.0];
        let (r, c) = linear_sum_assignment(&cost, 3, 3).unwrap();
        assert_eq!(r, vec![0, 1, 2]);
        assert_eq!(c, vec![1, 0, 2]);
        assert_eq!(total(&cost, 3, &r, &c), 5.0);
    }

    #[test]
    fn rectangular_both_ways() {
        // wide: every row assigned
        let wide = [1.0, 0.0, 5.0, 0.0, 2.0, 0.0];
        let (r, c) = linear_sum_assignment(&wide, 2, 3).unwrap();
        assert_eq!((r, c), (vec![0, 1], vec![1, 0]));
        // tall: the transpose, pairs sorted by row
        let tall = [1.0, 0.0, 0.0, 2.0, 5.0, 0.0];
        let (r, c) = linear_sum_assignment(&tall, 3, 2).unwrap();
        assert_eq!((r, c), (vec![0, 1], vec![1, 0]));
    }

    #[test]
    fn scipy_tie_choices() {
        // Values from scipy 1.17.1 `linear_sum_assignment` on these tie-heavy matrices.
        let (_, c) = linear_sum_assignment(&[0.0, 0.0, 0.0, 0.0], 2, 2).unwrap();
        assert_eq!(c, vec![0, 1]);
        let (r, c) = linear_sum_assignment(&[-1.0, -1.0, -1.0], 1, 3).unwrap();
        assert_eq!((r, c), (vec![0], vec![0]));
        let (r, c) = linear_sum_assignment(&[-1.0, -1.0, -1.0], 3, 1).unwrap();
        assert_eq!((r, c), (vec![0], vec![0]));
    }

    #[test]
    fn equals_scipy_on_tie_heavy_matrices() {
        // tests/fixtures/trackeval/lsap_ties.txt, made by make_lsap_ties.py with scipy 1.17.1
        let text = include_str!("../../../tests/fixtures/trackeval/lsap_ties.txt");
        let mut n = 0;
        for line in text.lines() {
            let parts: Vec<&str> = line.split('|').collect();
            let head: Vec<f64> = parts[0]
                .split_whitespace()
                .map(|x| x.parse().unwrap())
                .collect();
            let (nr, nc) = (head[0] as usize, head[1] as usize);
            let ints = |s: &str| -> Vec<usize> {
                s.split_whitespace().map(|x| x.parse().unwrap()).collect()
            };
            let got = linear_sum_assignment(&head[2..], nr, nc).unwrap();
            assert_eq!(got, (ints(parts[1]), ints(parts[2])), "{line}");
            n += 1;
        }
        assert_eq!(n, 600);
    }

    #[test]
    fn invalid_and_empty() {
        assert_eq!(
            linear_sum_assignment(&[f64::NAN], 1, 1),
            Err(LsapError::Invalid)
        );
        assert_eq!(
            linear_sum_assignment(&[f64::INFINITY], 1, 1),
            Err(LsapError::Infeasible)
        );
        assert_eq!(linear_sum_assignment(&[], 0, 3).unwrap().0.len(), 0);
    }
}
