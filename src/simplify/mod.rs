//! Rewrites beyond canonical construction.

pub mod rational;
