//! Key encoding for the shell, from the terminal module.
pub use super::term::keys::encode_key;
pub use super::term::keys::solution_bytes;
