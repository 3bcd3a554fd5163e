//! The `pledge` binary as people run it, in one test binary: its commands, probes of a
//! serving process at its edge and its memory under heavy files, several servers behind a
//! load balancer.

mod commands;
mod memory;
mod probes;
mod server;
mod several_servers;
