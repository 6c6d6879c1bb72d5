//! assignment (to be written)
