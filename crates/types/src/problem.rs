//! RFC 9457 problem details, as answered by the Management and Account APIs.

use serde::{Deserialize, Serialize};

/// A problem+json body with a stable machine-readable `code`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// A URI reference identifying the problem type.
    #[serde(rename = "type")]
    pub type_: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// A human-readable explanation of this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// A stable machine-readable code, for example `validation_failed` or `not_found`.
    pub code: String,
    /// For validation failures: which fields were wrong and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// One invalid field of a request body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The field's JSON path, for example `redirect_uris[1]`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}
