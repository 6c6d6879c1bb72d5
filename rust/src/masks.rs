//! masks (to be written)
