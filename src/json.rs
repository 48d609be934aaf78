//! Names of JSON value types, the way error messages say them (`got an array`).

use serde_json::Value;

/// Names a JSON value's type the way error messages do.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
