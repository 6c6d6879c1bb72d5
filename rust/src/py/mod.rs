//! PyO3 bindings: argument checking and array conversion only; the math is in the crate's modules.

use pyo3::prelude::*;

mod contours;
mod fasttrack;
mod metrics;
mod ocsort;
mod predict;
mod reid;
mod tracker;
mod tracktrack;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    contours::register(m)?;
    fasttrack::register(m)?;
    metrics::register(m)?;
    ocsort::register(m)?;
    predict::register(m)?;
    reid::register(m)?;
    tracker::register(m)?;
    tracktrack::register(m)?;
    Ok(())
}
