//! Lists stored as JSON text columns.

use gatehouse_store::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Encodes a list for a JSON text column.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|err| StoreError::Other(format!("encoding JSON: {err}")))
}

/// Decodes a JSON text column; `column` names it in the error.
pub(crate) fn decode<T: DeserializeOwned>(text: &str, column: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|err| StoreError::Other(format!("column {column}: {err}")))
}
