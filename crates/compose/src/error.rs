//! Typed errors of the model; the app words them (ko/en) through `ComposeError::message_args`.

use crate::interp::InterpError;

/// What is wrong with a value at a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// `{key} must be a {expected}` (compose's jsonschema wording: string, number, array, …).
    Type(&'static str),
    /// `{key} additional properties '{0}' not allowed`.
    Unknown(String),
    /// A key of the spec gorae does not implement.
    Unsupported(String),
    /// The value is not one of the accepted ones (restart, condition, port, volume, duration…).
    Value(String),
    /// `service "{service}" has neither an image nor a build context specified`.
    NoImage(String),
    /// `service "{service}" refers to undefined network {name}`.
    UndefinedNetwork(String, String),
    /// `service "{service}" refers to undefined volume {name}`.
    UndefinedVolume(String, String),
    /// `service "{service}" depends on undefined service "{name}"`.
    UndefinedService(String, String),
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ComposeError {
    #[error("no configuration file provided: not found")]
    NoConfig,
    #[error("open {file}: {detail}")]
    Read { file: String, detail: String },
    #[error("yaml: {file}: line {line}: {message}")]
    Syntax {
        file: String,
        line: u32,
        message: String,
    },
    #[error("validating {file}: line {line}: {key}: {problem:?}")]
    Invalid {
        file: String,
        line: u32,
        key: String,
        problem: Problem,
    },
    #[error("{file}: line {line}: {key}: {err:?}")]
    Interpolation {
        file: String,
        line: u32,
        key: String,
        err: InterpError,
    },
    #[error("invalid project name {0:?}")]
    ProjectName(String),
    #[error("{file}: line {line}: unexpected character")]
    EnvFile { file: String, line: u32 },
    #[error("dependency cycle detected: {0}")]
    Cycle(String),
}

impl ComposeError {
    /// The message key (assets/i18n `compose-err-*`) and its arguments.
    pub fn message_args(&self) -> (&'static str, Vec<(&'static str, String)>) {
        use ComposeError as E;
        match self {
            E::NoConfig => ("compose-err-no-config", vec![]),
            E::Read { file, detail } => (
                "compose-err-read",
                vec![("file", file.clone()), ("detail", detail.clone())],
            ),
            E::Syntax {
                file,
                line,
                message,
            } => (
                "compose-err-syntax",
                vec![
                    ("file", file.clone()),
                    ("line", line.to_string()),
                    ("detail", message.clone()),
                ],
            ),
            E::Invalid {
                file,
                line,
                key,
                problem,
            } => {
                let mut a = vec![
                    ("file", file.clone()),
                    ("line", line.to_string()),
                    ("key", key.clone()),
                ];
                let k = match problem {
                    Problem::Type(t) => {
                        a.push(("expected", t.to_string()));
                        "compose-err-type"
                    }
                    Problem::Unknown(p) => {
                        a.push(("property", p.clone()));
                        "compose-err-unknown-key"
                    }
                    Problem::Unsupported(p) => {
                        a.push(("property", p.clone()));
                        "compose-err-unsupported-key"
                    }
                    Problem::Value(v) => {
                        a.push(("value", v.clone()));
                        "compose-err-value"
                    }
                    Problem::NoImage(s) => {
                        a.push(("service", s.clone()));
                        "compose-err-no-image"
                    }
                    Problem::UndefinedNetwork(s, n) => {
                        a.push(("service", s.clone()));
                        a.push(("name", n.clone()));
                        "compose-err-undefined-network"
                    }
                    Problem::UndefinedVolume(s, n) => {
                        a.push(("service", s.clone()));
                        a.push(("name", n.clone()));
                        "compose-err-undefined-volume"
                    }
                    Problem::UndefinedService(s, n) => {
                        a.push(("service", s.clone()));
                        a.push(("name", n.clone()));
                        "compose-err-undefined-service"
                    }
                };
                (k, a)
            }
            E::Interpolation {
                file,
                line,
                key,
                err,
            } => {
                let mut a = vec![
                    ("file", file.clone()),
                    ("line", line.to_string()),
                    ("key", key.clone()),
                ];
                match err {
                    InterpError::Invalid => ("compose-err-interpolation", a),
                    InterpError::Required { var, message } => {
                        a.push(("var", var.clone()));
                        a.push(("detail", message.clone()));
                        ("compose-err-required-var", a)
                    }
                }
            }
            E::ProjectName(n) => ("compose-err-project-name", vec![("name", n.clone())]),
            E::EnvFile { file, line } => (
                "compose-err-env-file",
                vec![("file", file.clone()), ("line", line.to_string())],
            ),
            E::Cycle(s) => ("compose-err-cycle", vec![("services", s.clone())]),
        }
    }
}
