//! PyO3 bindings: argument checking and conversion only (`convert`); the math is in the crate's
//! modules.

use pyo3::prelude::*;

mod convert;
mod metrics;
mod predict;
mod reid;
mod tracker;
mod trackeval;
mod val;

// Test-only probes (cargo feature `probes`): exported for the tests and benches, left out of the wheel.
#[cfg(feature = "probes")]
mod contours;
#[cfg(feature = "probes")]
mod fasttrack;
#[cfg(feature = "probes")]
mod ocsort;
#[cfg(feature = "probes")]
mod probes;
#[cfg(feature = "probes")]
mod tracktrack;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    metrics::register(m)?;
    predict::register(m)?;
    reid::register(m)?;
    trackeval::register(m)?;
    tracker::register(m)?;
    val::register(m)?;
    #[cfg(feature = "probes")]
    {
        contours::register(m)?;
        fasttrack::register(m)?;
        ocsort::register(m)?;
        probes::register(m)?;
        tracktrack::register(m)?;
    }
    Ok(())
}
