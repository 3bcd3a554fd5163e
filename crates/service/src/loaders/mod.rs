//! Data sets loaded through the store: the demo (a believable Xinxiang) and the generated
//! national-shaped set the benchmarks run on.

pub mod demo;
pub mod generate;
