//! botsort (to be written)
