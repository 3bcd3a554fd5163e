//! End-to-end tests: the real server on 127.0.0.1:0 with a fresh database per test, spoken
//! to over HTTP. Every test runs on SQLite, and on PostgreSQL when
//! `PLEDGE_TEST_POSTGRES_URL` is set.

mod helpers;

mod access;
mod clock;
mod consents;
mod console;
mod contract;
mod errors;
mod health;
mod hostile;
mod imports;
mod ledger;
mod matching;
mod outcomes;
mod patent_exports;
mod people;
mod pushes;
mod registry;
mod round_trip;
mod rounds;
mod tenants;
mod values;
mod whitelist;
