//! What a build can fail with.

use std::path::Path;

use crate::EngineError;

/// What is wrong with a Dockerfile line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxKind {
    #[error("unknown instruction: {0}")]
    UnknownInstruction(String),
    #[error("{0} requires at least one argument")]
    MissingArguments(String),
    #[error("{0} requires exactly one argument")]
    OneArgument(String),
    #[error("{0} requires at least two arguments")]
    TwoArguments(String),
    #[error("{0} names can not be blank")]
    BlankName(String),
    #[error(
        "{instruction}: syntax error - can't find = in \"{word}\". Must be of the form: name=value"
    )]
    NoEquals { instruction: String, word: String },
    #[error("unknown flag: {0}")]
    UnknownFlag(String),
    #[error("no FROM instruction before {0}")]
    NoFrom(String),
    #[error("the Dockerfile has no instructions")]
    Empty,
    #[error("unterminated quote")]
    Unterminated,
    #[error("{0} is not supported by gorae")]
    Unsupported(String),
    #[error("HEALTHCHECK NONE takes no arguments")]
    HealthNoneArgs,
    #[error("Missing command after HEALTHCHECK CMD")]
    HealthNoCommand,
    #[error("Unknown type \"{0}\" in HEALTHCHECK (try CMD)")]
    HealthType(String),
    /// A flag's value: Go's own error text (durations, retries).
    #[error("{0}")]
    HealthValue(String),
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{file}:{line}: {kind}")]
    Syntax {
        file: String,
        line: usize,
        kind: SyntaxKind,
    },
    #[error("unable to prepare context: {0}")]
    Context(String),
    #[error("unable to read the Dockerfile {path}: {source}")]
    Dockerfile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("COPY failed: file not found in build context: {0}")]
    NotFound(String),
    #[error("COPY failed: forbidden path outside the build context: {0}")]
    OutsideContext(String),
    #[error(
        "When using COPY with more than one source file, the destination must be a directory and end with a /"
    )]
    DestNotDir,
    #[error("ADD from a URL needs the network: {0}")]
    AddUrl(String),
    #[error("unable to find user {0}: no matching entries in passwd file")]
    NoSuchUser(String),
    #[error("invalid from flag value {0}: no stage or image by that name")]
    NoSuchStage(String),
    #[error("The command '{command}' returned a non-zero code: {code}")]
    RunFailed { command: String, code: i32 },
    #[error("the build was interrupted")]
    Cancelled,
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl BuildError {
    pub(super) fn io(path: &Path, e: std::io::Error) -> BuildError {
        BuildError::Engine(EngineError::io(path, e))
    }
}

pub type Result<T, E = BuildError> = std::result::Result<T, E>;
