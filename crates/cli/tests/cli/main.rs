//! The `pledge` binary as people run it, in one test binary: its commands, probes of a
//! serving process at its edge, several servers behind a load balancer.

mod commands;
mod probes;
mod several_servers;
