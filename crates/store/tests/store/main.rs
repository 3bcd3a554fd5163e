//! The store against real databases, in one test binary.

mod pushes;
mod registry;
mod whitelist_model;
