//! The generated crate's own code: one module per artifact.

pub(in crate::emit) mod client;
pub(in crate::emit) mod crate_root;
pub(in crate::emit) mod endpoint;
pub(in crate::emit) mod http;
pub(in crate::emit) mod server;
pub(in crate::emit) mod templates;
pub(in crate::emit) mod types;
