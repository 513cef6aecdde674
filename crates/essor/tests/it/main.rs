//! The `essor` binary as operators use it.

mod audit;
mod killed_import;
mod user;
