//! Binding of tracking evaluation (`crate::trackeval`): `trackeval_mot`, `rle_encode`. Argument conversion,
//! GIL release and the result as nested dicts with TrackEval's field names.

use numpy::{PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::trackeval::evaluate::{evaluate, EvalError, Kind, Scores, SequenceInput};
use crate::trackeval::mot_data::Benchmark;
use crate::trackeval::rle::Rle;

fn scores_dict<'py>(py: Python<'py>, s: &Scores) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    let hota = PyDict::new(py);
    for (name, values) in s.hota.array_fields() {
        hota.set_item(name, values.to_vec())?;
    }
    for (name, value) in s.hota.float_fields() {
        hota.set_item(name, value)?;
    }
    out.set_item("HOTA", hota)?;
    let put = |d: &Bound<'py, PyDict>, name: &str, v: f64, int: bool| {
        if int {
            d.set_item(name, v as i64)
        } else {
            d.set_item(name, v)
        }
    };
    let clear = PyDict::new(py);
    for (name, v, int) in s.clear.fields() {
        put(&clear, name, v, int)?;
    }
    out.set_item("CLEAR", clear)?;
    let identity = PyDict::new(py);
    for (name, v, int) in s.identity.fields() {
        put(&identity, name, v, int)?;
    }
    out.set_item("Identity", identity)?;
    let count = PyDict::new(py);
    for (name, v) in s.count.fields() {
        put(&count, name, v, true)?;
    }
    out.set_item("Count", count)?;
    Ok(out)
}

/// Scores `(name, gt_text, res_text, seq_len)` sequences as TrackEval's MOTChallenge 2D box evaluation
/// (`masks=True`: its MOTS evaluation, `benchmark` unused): `{name | "COMBINED_SEQ": {"HOTA" | "CLEAR" | "Identity" | "Count": {field: value}}}`
/// (HOTA's array fields per alpha). A bad file raises `ValueError(message, seq, "gt" | "res" |
/// "data", line)` (line 0 when no line applies).
#[pyfunction]
#[pyo3(signature = (sequences, benchmark = "MOT17", do_preproc = true, threads = 1, masks = false))]
fn trackeval_mot<'py>(
    py: Python<'py>,
    sequences: Vec<(String, String, String, usize)>,
    benchmark: &str,
    do_preproc: bool,
    threads: usize,
    masks: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let bench = Benchmark::parse(benchmark).ok_or_else(|| {
        PyValueError::new_err(format!(
            "benchmark must be MOT15, MOT16, MOT17 or MOT20, got {benchmark:?}"
        ))
    })?;
    let inputs: Vec<SequenceInput<'_>> = sequences
        .iter()
        .map(|(name, gt, res, seq_len)| SequenceInput {
            name,
            gt,
            res,
            seq_len: *seq_len,
        })
        .collect();
    let kind = if masks {
        Kind::Masks
    } else {
        Kind::Boxes {
            benchmark: bench,
            do_preproc,
        }
    };
    let result = py.detach(|| evaluate(&inputs, kind, threads));
    let (per_seq, combined) = result.map_err(|e| match e {
        EvalError::Parse { seq, is_gt, err } => PyValueError::new_err((
            format!("line {}: {}", err.line, err.msg),
            seq,
            if is_gt { "gt" } else { "res" },
            err.line,
        )),
        EvalError::Data { seq, err } => PyValueError::new_err((err.0, seq, "data", 0usize)),
    })?;
    let out = PyDict::new(py);
    for ((name, ..), s) in sequences.iter().zip(&per_seq) {
        out.set_item(name, scores_dict(py, s)?)?;
    }
    out.set_item("COMBINED_SEQ", scores_dict(py, &combined)?)?;
    Ok(out)
}

/// pycocotools' compressed RLE `counts` string of a `(h, w)` uint8 mask (nonzero = set), as `mask.encode`.
#[pyfunction]
fn rle_encode(py: Python<'_>, mask: PyReadonlyArray2<'_, u8>) -> PyResult<String> {
    let (h, w) = (mask.shape()[0], mask.shape()[1]);
    let (Ok(hu), Ok(wu)) = (u32::try_from(h), u32::try_from(w)) else {
        return Err(PyValueError::new_err(format!("mask too large: {h} x {w}")));
    };
    let view = mask.as_array();
    let c = view.as_standard_layout();
    let data = c.as_slice().unwrap_or_default();
    Ok(py.detach(|| Rle::encode_row_major(data, hu, wu).to_coco_string()))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(trackeval_mot, m)?)?;
    m.add_function(wrap_pyfunction!(rle_encode, m)?)?;
    Ok(())
}
