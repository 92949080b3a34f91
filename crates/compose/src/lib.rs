//! The Compose file model (compose-spec): discovery, YAML with lines, interpolation, project
//! names, the normalised model and `docker compose config`'s output. No engine, no UI: the app
//! orchestrates over the engine and words the typed errors.

pub mod error;
pub mod interp;
pub mod model;
pub mod project;
pub mod yaml;

pub use error::{ComposeError, Problem};
pub use model::{Project, Service};
pub use project::{LoadOptions, Loaded, Warning, load};

#[cfg(test)]
mod tests;
