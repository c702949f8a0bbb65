//! Typed extraction from a parsed JSON value, tracking the field path for error messages.
//!
//! Decoders walk a `serde_json::Value` with [`Node`]s; every failure becomes a
//! [`DocError`] naming the document and the path (`linux.namespaces[1].type`). As in Go's
//! `encoding/json`, unknown fields are ignored and `null` counts as absent.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::{Map, Value};

use crate::error::{DocError, Problem};

/// Parses `bytes` as JSON and hands the root node to `decode`.
pub fn decode<T>(doc: &str, bytes: &[u8], decode: impl FnOnce(Node<'_>) -> Result<T, DocError>) -> Result<T, DocError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| DocError { doc: doc.to_string(), path: String::new(), problem: Problem::Syntax(e.to_string()) })?;
    decode(Node { value: &value, doc, path: String::new() })
}

/// A value inside a document, with its path.
#[derive(Clone)]
pub struct Node<'a> {
    value: &'a Value,
    doc: &'a str,
    path: String,
}

/// An object inside a document, with its path.
pub struct Obj<'a> {
    map: &'a Map<String, Value>,
    node: Node<'a>,
}

impl<'a> Node<'a> {
    /// An error about this node.
    pub fn error(&self, problem: Problem) -> DocError {
        DocError { doc: self.doc.to_string(), path: self.path.clone(), problem }
    }

    /// An `Invalid` error about this node.
    pub fn invalid(&self, msg: impl Into<String>) -> DocError {
        self.error(Problem::Invalid(msg.into()))
    }

    pub fn object(&self) -> Result<Obj<'a>, DocError> {
        match self.value {
            Value::Object(map) => Ok(Obj { map, node: self.clone() }),
            _ => Err(self.error(Problem::WrongType("an object"))),
        }
    }

    pub fn string(&self) -> Result<String, DocError> {
        self.value.as_str().map(String::from).ok_or_else(|| self.error(Problem::WrongType("a string")))
    }

    pub fn boolean(&self) -> Result<bool, DocError> {
        self.value.as_bool().ok_or_else(|| self.error(Problem::WrongType("a boolean")))
    }

    pub fn u64(&self) -> Result<u64, DocError> {
        self.value.as_u64().ok_or_else(|| self.error(Problem::WrongType("a non-negative integer")))
    }

    pub fn i64(&self) -> Result<i64, DocError> {
        self.value.as_i64().ok_or_else(|| self.error(Problem::WrongType("an integer")))
    }

    pub fn u32(&self) -> Result<u32, DocError> {
        self.value
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| self.error(Problem::WrongType("a 32-bit unsigned integer")))
    }

    /// Decodes every element of an array with `item`.
    pub fn array<T>(&self, mut item: impl FnMut(Node<'a>) -> Result<T, DocError>) -> Result<Vec<T>, DocError> {
        let Value::Array(values) = self.value else {
            return Err(self.error(Problem::WrongType("an array")));
        };
        values
            .iter()
            .enumerate()
            .map(|(i, value)| item(Node { value, doc: self.doc, path: format!("{}[{i}]", self.path) }))
            .collect()
    }

    pub fn strings(&self) -> Result<Vec<String>, DocError> {
        let wrong = || self.error(Problem::WrongType("an array of strings"));
        let Value::Array(values) = self.value else { return Err(wrong()) };
        values.iter().map(|v| v.as_str().map(String::from).ok_or_else(wrong)).collect()
    }

    pub fn string_map(&self) -> Result<BTreeMap<String, String>, DocError> {
        let wrong = || self.error(Problem::WrongType("an object of strings"));
        let Value::Object(map) = self.value else { return Err(wrong()) };
        map.iter().map(|(k, v)| Ok((k.clone(), v.as_str().map(String::from).ok_or_else(wrong)?))).collect()
    }

    /// The keys of an object whose values are ignored (Docker's `{"80/tcp": {}}` sets).
    pub fn key_set(&self) -> Result<Vec<String>, DocError> {
        let Value::Object(map) = self.value else {
            return Err(self.error(Problem::WrongType("an object")));
        };
        Ok(map.keys().cloned().collect())
    }
}

impl<'a> Obj<'a> {
    fn child_path(&self, key: &str) -> String {
        if self.node.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.node.path)
        }
    }

    /// The field `key`, or `None` if absent or `null`.
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(value) => Some(Node { value, doc: self.node.doc, path: self.child_path(key) }),
        }
    }

    /// The field `key`, which must be present.
    pub fn req(&self, key: &str) -> Result<Node<'a>, DocError> {
        self.get(key).ok_or_else(|| DocError {
            doc: self.node.doc.to_string(),
            path: self.child_path(key),
            problem: Problem::Missing,
        })
    }

    /// Decodes the optional field `key` with `f`.
    pub fn opt<T>(&self, key: &str, f: impl FnOnce(&Node<'a>) -> Result<T, DocError>) -> Result<Option<T>, DocError> {
        self.get(key).map(|n| f(&n)).transpose()
    }

    /// Decodes the optional field `key` with `f`, or gives `T::default()`.
    pub fn or_default<T: Default>(&self, key: &str, f: impl FnOnce(&Node<'a>) -> Result<T, DocError>) -> Result<T, DocError> {
        Ok(self.opt(key, f)?.unwrap_or_default())
    }
}
