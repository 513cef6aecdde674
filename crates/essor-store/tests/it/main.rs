//! The contract test suite: every storage behaviour, against SQLite always and against
//! PostgreSQL when `ESSOR_TEST_DATABASE_URL` is set (each run in a database of its own,
//! dropped after).

mod harness;

mod accounts;
mod api;
mod audit;
mod committees;
mod demo;
mod directory;
mod dossiers;
mod funding;
mod instruction;
mod migrations;
mod plans;
mod reports;
mod snapshots;
mod territories;
