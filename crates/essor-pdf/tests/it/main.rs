//! essor-pdf's integration tests: documents rendered, then read back with lopdf.

mod render;
