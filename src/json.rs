//! Reading untrusted JSON: typed access to fields with errors that name the field.

use serde_json::{Map, Value};

/// Largest number accepted from a node (bigger ones are reported as bad payloads, not summed).
pub const MAX_NUMBER: f64 = 1e15;

/// A JSON object being read, with the path used in error messages (`metrics[1]`).
#[derive(Clone, Copy)]
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    at: &'a str,
}

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

impl<'a> Fields<'a> {
    /// Reads `v` as an object; `at` names it in errors.
    pub fn of(v: &'a Value, at: &'a str) -> Result<Self, String> {
        match v {
            Value::Object(map) => Ok(Self { map, at }),
            other => Err(format!("{}: expected an object, got {}", name_or_payload(at), kind(other))),
        }
    }

    fn err(&self, key: &str, what: &str, got: &Value) -> String {
        if self.at.is_empty() {
            format!("{key}: expected {what}, got {}", kind(got))
        } else {
            format!("{}.{key}: expected {what}, got {}", self.at, kind(got))
        }
    }

    fn missing(&self, key: &str) -> String {
        if self.at.is_empty() {
            format!("{key}: missing")
        } else {
            format!("{}.{key}: missing", self.at)
        }
    }

    /// The raw value at `key`, `None` when absent or null.
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A required finite number in `0..=MAX_NUMBER`.
    pub fn num(&self, key: &str) -> Result<f64, String> {
        self.opt_num(key)?.ok_or_else(|| self.missing(key))
    }

    /// An optional finite number in `0..=MAX_NUMBER` (null or absent: `None`).
    pub fn opt_num(&self, key: &str) -> Result<Option<f64>, String> {
        match self.raw(key) {
            None => Ok(None),
            Some(v @ Value::Number(n)) => match n.as_f64() {
                Some(x) if x.is_finite() && (0.0..=MAX_NUMBER).contains(&x) => Ok(Some(x)),
                _ => Err(self.err(key, "a number between 0 and 1e15", v)),
            },
            Some(v) => Err(self.err(key, "a number", v)),
        }
    }

    /// A required whole number (a count, an index) that fits in `u32`.
    pub fn count(&self, key: &str) -> Result<u32, String> {
        match self.raw(key) {
            None => Err(self.missing(key)),
            Some(v) => v.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| self.err(key, "a whole number", v)),
        }
    }

    /// A required string.
    pub fn str(&self, key: &str) -> Result<&'a str, String> {
        self.opt_str(key)?.ok_or_else(|| self.missing(key))
    }

    /// An optional string (null or absent: `None`).
    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>, String> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(self.err(key, "a string", v)),
        }
    }

    /// A required array.
    pub fn arr(&self, key: &str) -> Result<&'a [Value], String> {
        match self.raw(key) {
            None => Err(self.missing(key)),
            Some(Value::Array(a)) => Ok(a),
            Some(v) => Err(self.err(key, "an array", v)),
        }
    }

    /// An optional array (null or absent: empty).
    pub fn opt_arr(&self, key: &str) -> Result<&'a [Value], String> {
        match self.raw(key) {
            None => Ok(&[]),
            Some(Value::Array(a)) => Ok(a),
            Some(v) => Err(self.err(key, "an array", v)),
        }
    }

    /// A required nested object.
    pub fn obj(&self, key: &str, at: &'a str) -> Result<Fields<'a>, String> {
        match self.raw(key) {
            None => Err(self.missing(key)),
            Some(Value::Object(map)) => Ok(Fields { map, at }),
            Some(v) => Err(self.err(key, "an object", v)),
        }
    }
}

fn name_or_payload(at: &str) -> &str {
    if at.is_empty() {
        "payload"
    } else {
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_name_the_field_and_the_type() {
        let v = json!({"a": "x", "b": -1, "c": 1e300, "d": null});
        let f = Fields::of(&v, "metrics[1]").unwrap();
        assert_eq!(f.num("a").unwrap_err(), "metrics[1].a: expected a number, got a string");
        assert_eq!(f.num("b").unwrap_err(), "metrics[1].b: expected a number between 0 and 1e15, got a number");
        assert_eq!(f.num("c").unwrap_err(), "metrics[1].c: expected a number between 0 and 1e15, got a number");
        assert_eq!(f.opt_num("d").unwrap(), None);
        assert_eq!(f.num("zz").unwrap_err(), "metrics[1].zz: missing");
        assert_eq!(Fields::of(&json!([1]), "").err().unwrap(), "payload: expected an object, got an array");
    }
}
