//! kalman (to be written)
