//! The library's error type. Every variant names what is wrong and, where possible, the fix.

use std::path::PathBuf;

/// Errors from loading descriptions, validating scenarios and evaluating them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A field holds a value that breaks a rule.
    #[error("{field} = {value} is invalid: {rule}")]
    Invalid {
        /// Dotted path of the field, e.g. `system.dram.connected_layers`.
        field: String,
        /// The offending value as written.
        value: String,
        /// The rule it breaks and how to fix it.
        rule: String,
    },
    /// A name that is not a known preset.
    #[error("unknown {kind} '{name}' (known: {known})")]
    Unknown {
        /// What kind of thing was looked up (system, model, memory, ...).
        kind: &'static str,
        /// The name given.
        name: String,
        /// The names that exist.
        known: String,
    },
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file or string could not be parsed.
    #[error("{origin}: {message}")]
    Parse {
        /// Where the text came from (a path or a flag name).
        origin: String,
        /// What went wrong.
        message: String,
    },
    /// The model and its state do not fit into device memory.
    #[error("does not fit: {0}")]
    DoesNotFit(String),
}

/// Shorthand for results carrying [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Build an [`Error::Invalid`].
pub fn invalid(field: impl Into<String>, value: impl ToString, rule: impl Into<String>) -> Error {
    Error::Invalid {
        field: field.into(),
        value: value.to_string(),
        rule: rule.into(),
    }
}
