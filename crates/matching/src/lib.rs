//! The matching engine: pure, synchronous and in memory, handed plain data and an explicit
//! `as_of` date. Not built yet; the domain rules it will use live in `pledge-domain`.
