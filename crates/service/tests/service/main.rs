//! The service against real databases, in one test binary (one link instead of four).

mod commit_order;
mod error_codes;
mod snapshot;
mod two_servers;
