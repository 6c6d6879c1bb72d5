//! bytetrack (to be written)
