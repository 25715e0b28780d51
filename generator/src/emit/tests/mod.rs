//! The generated crate's tests: one module per test file, and the samples they share.

pub(in crate::emit) mod boundary;
pub(in crate::emit) mod examples;
pub(in crate::emit) mod hostile;
pub(in crate::emit) mod round_trip;
pub(in crate::emit) mod samples;
