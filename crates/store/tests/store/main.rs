//! The store against real databases, in one test binary.

mod registry;
mod whitelist_model;
