//! Key encoding for the shell, from the terminal module.
pub use super::term_shim::encode_key;
