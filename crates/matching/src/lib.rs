//! The matching engine (issue 4): pure, synchronous and in memory.
