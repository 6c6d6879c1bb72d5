//! contours (to be written)
