//! The contract test suite: every storage behaviour, against SQLite always and against
//! PostgreSQL when `ESSOR_TEST_DATABASE_URL` is set (each run in a database of its own,
//! dropped after).

mod harness;

mod accounts;
mod audit;
mod directory;
mod dossiers;
mod funding;
mod migrations;
mod plans;
mod snapshots;
mod territories;
