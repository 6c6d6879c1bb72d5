//! track (to be written)
