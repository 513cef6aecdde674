//! The `essor` binary as operators use it.

mod killed_import;
