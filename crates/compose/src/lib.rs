//! The Compose file model (compose-spec): discovery, YAML with lines, interpolation, project
//! names, the normalised model and `docker compose config`'s output. No engine, no UI: the app
//! orchestrates over the engine and words the typed errors.

pub mod yaml;
