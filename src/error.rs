//! Why a call failed as a whole (partial failure is data, not an error). One conversion to
//! the gateway's error codes, at the boundary.

/// A failed call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The arguments (tool arguments, method params) are wrong: the text names the field and
    /// what is accepted.
    #[error("{0}")]
    InvalidArgument(String),
    /// Nothing to act on, or no way to reach it: no clawnode, no transport, the gateway refused.
    #[error("{0}")]
    Unavailable(String),
    /// A fault of the plugin itself (a result it could not encode).
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// The gateway's error code for this error (`respond(false, …, {code})`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidArgument(_) => "INVALID_REQUEST",
            Error::Unavailable(_) => "UNAVAILABLE",
            Error::Internal(_) => "UNAVAILABLE",
        }
    }

    /// The same error with `prefix: ` before its text.
    pub fn within(self, prefix: &str) -> Self {
        match self {
            Error::InvalidArgument(m) => Error::InvalidArgument(format!("{prefix}: {m}")),
            Error::Unavailable(m) => Error::Unavailable(format!("{prefix}: {m}")),
            Error::Internal(m) => Error::Internal(format!("{prefix}: {m}")),
        }
    }
}

/// Shorthand for an argument error.
pub fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidArgument(message.into())
}
