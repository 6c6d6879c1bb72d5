//! Linear assignment as the trackers use it: `lap.lapjv(cost, extend_cost=True, cost_limit=t)`.
//!
//! The `(n, m)` cost is extended to a square `(n+m, n+m)` matrix whose off-block entries are `t/2`
//! and whose lower-right block is 0, and that square problem is solved exactly with the
//! Jonker-Volgenant algorithm. The solver below is a line-by-line port of lap 0.5's dense
//! `lapjv_internal` (column reduction and reduction transfer, two rounds of augmenting row
//! reduction, then shortest augmenting paths), so it makes the same choice among equal-cost
//! optima as lap does. A row matched to a dummy column (cost `t/2` per side) is unmatched: this
//! is not "Hungarian, then drop costs above t" (`[[0, .45], [.45, .95]]` at `t = .8` keeps only
//! `(0, 0)`).

#![allow(clippy::needless_range_loop, clippy::mut_range_bound)] // a line-by-line port of lap's C loops

/// The `LARGE` of lap's C code: the initial column price.
const LARGE: f64 = 1_000_000.0;

/// Costs that are not finite are replaced by this before solving (a NaN would stall the search).
const NONFINITE_COST: f64 = 1.0e5;

/// Column reduction and reduction transfer (`_ccrrt_dense`). Returns the number of free rows.
fn ccrrt(
    n: usize,
    cost: &[f64],
    free_rows: &mut [usize],
    x: &mut [i64],
    y: &mut [i64],
    v: &mut [f64],
) -> usize {
    for i in 0..n {
        x[i] = -1;
        v[i] = LARGE;
        y[i] = 0;
    }
    for i in 0..n {
        let row = &cost[i * n..(i + 1) * n];
        for j in 0..n {
            let c = row[j];
            if c < v[j] {
                v[j] = c;
                y[j] = i as i64;
            }
        }
    }
    let mut unique = vec![true; n];
    let mut j = n;
    while j > 0 {
        j -= 1;
        let i = y[j] as usize;
        if x[i] < 0 {
            x[i] = j as i64;
        } else {
            unique[i] = false;
            y[j] = -1;
        }
    }
    let mut n_free = 0;
    for i in 0..n {
        if x[i] < 0 {
            free_rows[n_free] = i;
            n_free += 1;
        } else if unique[i] {
            let j = x[i] as usize;
            let row = &cost[i * n..(i + 1) * n];
            let mut min = LARGE;
            for j2 in 0..n {
                if j2 == j {
                    continue;
                }
                let c = row[j2] - v[j2];
                if c < min {
                    min = c;
                }
            }
            v[j] -= min;
        }
    }
    n_free
}

/// Augmenting row reduction (`_carr_dense`). Returns the new number of free rows.
fn carr(
    n: usize,
    cost: &[f64],
    n_free_rows: usize,
    free_rows: &mut [usize],
    x: &mut [i64],
    y: &mut [i64],
    v: &mut [f64],
) -> usize {
    let mut current = 0usize;
    let mut new_free_rows = 0usize;
    let mut rr_cnt = 0usize;
    while current < n_free_rows {
        rr_cnt += 1;
        let free_i = free_rows[current];
        current += 1;
        let row = &cost[free_i * n..(free_i + 1) * n];
        let mut j1 = 0usize;
        let mut v1 = row[0] - v[0];
        let mut j2: i64 = -1;
        let mut v2 = LARGE;
        for j in 1..n {
            let c = row[j] - v[j];
            if c < v2 {
                if c >= v1 {
                    v2 = c;
                    j2 = j as i64;
                } else {
                    v2 = v1;
                    v1 = c;
                    j2 = j1 as i64;
                    j1 = j;
                }
            }
        }
        let mut i0 = y[j1];
        let v1_new = v[j1] - (v2 - v1);
        let v1_lowers = v1_new < v[j1];
        if rr_cnt < current * n {
            if v1_lowers {
                v[j1] = v1_new;
            } else if i0 >= 0 && j2 >= 0 {
                j1 = j2 as usize;
                i0 = y[j1];
            }
            if i0 >= 0 {
                if v1_lowers {
                    current -= 1;
                    free_rows[current] = i0 as usize;
                } else {
                    free_rows[new_free_rows] = i0 as usize;
                    new_free_rows += 1;
                }
            }
        } else if i0 >= 0 {
            free_rows[new_free_rows] = i0 as usize;
            new_free_rows += 1;
        }
        x[free_i] = j1 as i64;
        y[j1] = free_i as i64;
    }
    new_free_rows
}

/// Put the columns with the minimum `d` (from `lo`) on the SCAN list (`_find_dense`).
fn find(n: usize, lo: usize, d: &[f64], cols: &mut [usize]) -> usize {
    let mut hi = lo + 1;
    let mut mind = d[cols[lo]];
    for k in hi..n {
        let j = cols[k];
        if d[j] <= mind {
            if d[j] < mind {
                hi = lo;
                mind = d[j];
            }
            cols[k] = cols[hi];
            cols[hi] = j;
            hi += 1;
        }
    }
    hi
}

/// Scan the SCAN columns and relax the TODO columns (`_scan_dense`). Returns a free column if
/// one is reached at the current minimum distance.
#[allow(clippy::too_many_arguments)]
fn scan(
    n: usize,
    cost: &[f64],
    plo: &mut usize,
    phi: &mut usize,
    d: &mut [f64],
    cols: &mut [usize],
    pred: &mut [usize],
    y: &[i64],
    v: &[f64],
) -> Option<usize> {
    let mut lo = *plo;
    let mut hi = *phi;
    while lo != hi {
        let j = cols[lo];
        lo += 1;
        let i = y[j] as usize;
        let mind = d[j];
        let row = &cost[i * n..(i + 1) * n];
        let h = row[j] - v[j] - mind;
        for k in hi..n {
            let j = cols[k];
            let cred_ij = row[j] - v[j] - h;
            if cred_ij < d[j] {
                d[j] = cred_ij;
                pred[j] = i;
                if cred_ij == mind {
                    if y[j] < 0 {
                        return Some(j);
                    }
                    cols[k] = cols[hi];
                    cols[hi] = j;
                    hi += 1;
                }
            }
        }
    }
    *plo = lo;
    *phi = hi;
    None
}

/// One shortest-path search from `start_i` (`find_path_dense`). Returns the free column reached,
/// or `None` if the search ran out of columns (only possible with pathological costs).
#[allow(clippy::too_many_arguments)]
fn find_path(
    n: usize,
    cost: &[f64],
    start_i: usize,
    y: &[i64],
    v: &mut [f64],
    pred: &mut [usize],
    cols: &mut [usize],
    d: &mut [f64],
) -> Option<usize> {
    let mut lo = 0usize;
    let mut hi = 0usize;
    let mut n_ready = 0usize;
    let mut final_j: Option<usize> = None;
    let row = &cost[start_i * n..(start_i + 1) * n];
    for i in 0..n {
        cols[i] = i;
        pred[i] = start_i;
        d[i] = row[i] - v[i];
    }
    while final_j.is_none() {
        if lo == hi {
            if lo >= n {
                return None;
            }
            n_ready = lo;
            hi = find(n, lo, d, cols);
            for &j in &cols[lo..hi] {
                if y[j] < 0 {
                    final_j = Some(j);
                }
            }
        }
        if final_j.is_none() {
            final_j = scan(n, cost, &mut lo, &mut hi, d, cols, pred, y, v);
        }
    }
    let mind = d[cols[lo]];
    for &j in &cols[..n_ready] {
        v[j] += d[j] - mind;
    }
    final_j
}

/// Augmentation (`_ca_dense`). Returns false if a search failed (pathological costs).
fn ca(
    n: usize,
    cost: &[f64],
    free_rows: &[usize],
    x: &mut [i64],
    y: &mut [i64],
    v: &mut [f64],
) -> bool {
    let mut pred = vec![0usize; n];
    let mut cols = vec![0usize; n];
    let mut d = vec![0.0f64; n];
    for &free_i in free_rows {
        let Some(mut j) = find_path(n, cost, free_i, y, v, &mut pred, &mut cols, &mut d) else {
            return false;
        };
        let mut k = 0usize;
        loop {
            let i = pred[j];
            y[j] = i as i64;
            let prev = x[i];
            x[i] = j as i64;
            k += 1;
            if i == free_i {
                break;
            }
            if prev < 0 || prev as usize >= n || k > n {
                return false;
            }
            j = prev as usize;
        }
    }
    true
}

/// Solve the square `n x n` assignment problem `cost` (row-major) exactly like lap's
/// `lapjv_internal`. Returns `(x, y)`: `x[i]` is the column of row `i`, `y[j]` the row of column `j`.
pub fn lapjv_square(n: usize, cost: &[f64]) -> (Vec<i64>, Vec<i64>) {
    assert_eq!(cost.len(), n * n, "cost must be n*n");
    let mut x = vec![-1i64; n];
    let mut y = vec![-1i64; n];
    if n == 0 {
        return (x, y);
    }
    let mut free_rows = vec![0usize; n];
    let mut v = vec![0.0f64; n];
    let mut n_free = ccrrt(n, cost, &mut free_rows, &mut x, &mut y, &mut v);
    let mut round = 0;
    while n_free > 0 && round < 2 {
        n_free = carr(n, cost, n_free, &mut free_rows, &mut x, &mut y, &mut v);
        round += 1;
    }
    if n_free > 0 && !ca(n, cost, &free_rows[..n_free], &mut x, &mut y, &mut v) {
        // Unreachable for finite costs; leave a valid (partial) answer rather than garbage.
        x.iter_mut().for_each(|e| *e = -1);
        y.iter_mut().for_each(|e| *e = -1);
    }
    (x, y)
}

/// `lap.lapjv(cost, extend_cost=True, cost_limit=cost_limit)` for a row-major `(rows, cols)`
/// cost. Returns `(x, y)` of lengths `rows` and `cols` with -1 for unmatched. With an infinite
/// `cost_limit` the matrix is zero-padded to square, as lap does.
pub fn lapjv_limit(
    cost: &[f64],
    rows: usize,
    cols: usize,
    cost_limit: f64,
) -> (Vec<i64>, Vec<i64>) {
    assert_eq!(cost.len(), rows * cols, "cost must be rows*cols");
    let clean = |c: f64| if c.is_finite() { c } else { NONFINITE_COST };
    let (n, ext) = if cost_limit < f64::INFINITY {
        let n = rows + cols;
        let half = clean(cost_limit / 2.0);
        let mut ext = vec![half; n * n];
        for i in rows..n {
            ext[i * n + cols..(i + 1) * n]
                .iter_mut()
                .for_each(|e| *e = 0.0);
        }
        for i in 0..rows {
            for j in 0..cols {
                ext[i * n + j] = clean(cost[i * cols + j]);
            }
        }
        (n, ext)
    } else {
        let n = rows.max(cols);
        let mut ext = vec![0.0; n * n];
        for i in 0..rows {
            for j in 0..cols {
                ext[i * n + j] = clean(cost[i * cols + j]);
            }
        }
        (n, ext)
    };
    let (mut x, mut y) = lapjv_square(n, &ext);
    x.truncate(rows);
    y.truncate(cols);
    x.iter_mut()
        .filter(|e| **e >= cols as i64)
        .for_each(|e| *e = -1);
    y.iter_mut()
        .filter(|e| **e >= rows as i64)
        .for_each(|e| *e = -1);
    (x, y)
}

/// Result of [`linear_assignment`]: matched `(row, col)` pairs in row order, unmatched rows and
/// unmatched columns in ascending order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignment {
    pub matches: Vec<(usize, usize)>,
    pub unmatched_rows: Vec<usize>,
    pub unmatched_cols: Vec<usize>,
}

/// `matching.linear_assignment(cost, thresh)` (lap path) on a row-major float32 cost, which lap
/// reads as float64.
pub fn linear_assignment(cost: &[f32], rows: usize, cols: usize, thresh: f64) -> Assignment {
    if rows == 0 || cols == 0 {
        return Assignment {
            matches: Vec::new(),
            unmatched_rows: (0..rows).collect(),
            unmatched_cols: (0..cols).collect(),
        };
    }
    let c64: Vec<f64> = cost.iter().map(|&c| c as f64).collect();
    let (x, y) = lapjv_limit(&c64, rows, cols, thresh);
    Assignment {
        matches: x
            .iter()
            .enumerate()
            .filter(|(_, &j)| j >= 0)
            .map(|(i, &j)| (i, j as usize))
            .collect(),
        unmatched_rows: x
            .iter()
            .enumerate()
            .filter(|(_, &j)| j < 0)
            .map(|(i, _)| i)
            .collect(),
        unmatched_cols: y
            .iter()
            .enumerate()
            .filter(|(_, &i)| i < 0)
            .map(|(j, _)| j)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute-force optimum of the extended square problem (small n only).
    fn brute(n: usize, cost: &[f64]) -> f64 {
        fn rec(n: usize, cost: &[f64], row: usize, used: &mut Vec<bool>, acc: f64, best: &mut f64) {
            if row == n {
                *best = best.min(acc);
                return;
            }
            for j in 0..n {
                if !used[j] {
                    used[j] = true;
                    rec(n, cost, row + 1, used, acc + cost[row * n + j], best);
                    used[j] = false;
                }
            }
        }
        let mut best = f64::INFINITY;
        rec(n, cost, 0, &mut vec![false; n], 0.0, &mut best);
        best
    }

    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 11) as f64) / ((1u64 << 53) as f64)
        }
    }

    #[test]
    fn pinned_cost_limit_example() {
        let a = linear_assignment(&[0.0, 0.45, 0.45, 0.95], 2, 2, 0.8);
        assert_eq!(a.matches, vec![(0, 0)]);
        assert_eq!(a.unmatched_rows, vec![1]);
        assert_eq!(a.unmatched_cols, vec![1]);
    }

    #[test]
    fn empty_and_infeasible() {
        let a = linear_assignment(&[], 0, 3, 0.8);
        assert!(a.matches.is_empty());
        assert_eq!(a.unmatched_cols, vec![0, 1, 2]);
        let a = linear_assignment(&[0.9, 0.95, 1.0, 0.99], 2, 2, 0.8);
        assert!(a.matches.is_empty());
        assert_eq!(a.unmatched_rows, vec![0, 1]);
    }

    #[test]
    fn square_solutions_are_optimal_and_permutations() {
        let mut rng = Lcg(7);
        for n in 1..=6 {
            for _ in 0..200 {
                // Quantised costs to force ties.
                let cost: Vec<f64> = (0..n * n)
                    .map(|_| (rng.next() * 4.0).floor() / 4.0)
                    .collect();
                let (x, y) = lapjv_square(n, &cost);
                let total: f64 = (0..n).map(|i| cost[i * n + x[i] as usize]).sum();
                assert!((total - brute(n, &cost)).abs() < 1e-9);
                for i in 0..n {
                    assert_eq!(y[x[i] as usize], i as i64);
                }
            }
        }
    }

    #[test]
    fn extended_solutions_are_optimal() {
        let mut rng = Lcg(11);
        for rows in 0..=4 {
            for cols in 0..=4 {
                for _ in 0..50 {
                    let cost: Vec<f64> = (0..rows * cols).map(|_| rng.next()).collect();
                    let t = 0.8;
                    let (x, y) = lapjv_limit(&cost, rows, cols, t);
                    let n = rows + cols;
                    let mut ext = vec![t / 2.0; n * n];
                    for i in rows..n {
                        for j in cols..n {
                            ext[i * n + j] = 0.0;
                        }
                    }
                    for i in 0..rows {
                        for j in 0..cols {
                            ext[i * n + j] = cost[i * cols + j];
                        }
                    }
                    let matched: f64 = (0..rows)
                        .filter(|&i| x[i] >= 0)
                        .map(|i| cost[i * cols + x[i] as usize])
                        .sum();
                    let nm = x.iter().filter(|&&j| j >= 0).count();
                    let total =
                        matched + (rows - nm) as f64 * t / 2.0 + (cols - nm) as f64 * t / 2.0;
                    assert!((total - brute(n, &ext)).abs() < 1e-9, "{rows}x{cols}");
                    for j in 0..cols {
                        if y[j] >= 0 {
                            assert_eq!(x[y[j] as usize], j as i64);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn nan_costs_do_not_hang_or_panic() {
        let a = linear_assignment(&[f32::NAN, 0.1, 0.2, f32::INFINITY], 2, 2, 0.8);
        assert_eq!(a.matches, vec![(0, 1), (1, 0)]);
    }
}
