//! The `essor` binary as operators use it.

mod audit;
mod export;
mod killed_import;
mod user;
