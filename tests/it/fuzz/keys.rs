//! Paths into a TOML document: every node of a parsed file, and reading,
//! replacing or removing the node at a path.

use std::fmt;
use toml::Value;

/// One step of a path into a TOML document.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Seg {
    Key(String),
    Index(usize),
}

/// A node's path, shown as `cluster.tranches[1].chips` or
/// `grid."inference.growth.drift_per_year"[0]`.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct KeyPath(pub(super) Vec<Seg>);

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Index(n) => write!(f, "[{n}]")?,
                Seg::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                        f.write_str(k)?;
                    } else {
                        write!(f, "{k:?}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Every node below `value`, parents before children, in document order.
pub(super) fn nodes(value: &Value, prefix: &mut Vec<Seg>, out: &mut Vec<KeyPath>) {
    let children: Vec<(Seg, &Value)> = match value {
        Value::Table(t) => t.iter().map(|(k, v)| (Seg::Key(k.clone()), v)).collect(),
        Value::Array(a) => a.iter().enumerate().map(|(i, v)| (Seg::Index(i), v)).collect(),
        _ => return,
    };
    for (seg, child) in children {
        prefix.push(seg);
        out.push(KeyPath(prefix.clone()));
        nodes(child, prefix, out);
        prefix.pop();
    }
}

pub(super) fn get<'a>(doc: &'a Value, path: &KeyPath) -> &'a Value {
    path.0.iter().fold(doc, |node, seg| match seg {
        Seg::Key(k) => &node[k.as_str()],
        Seg::Index(i) => &node[*i],
    })
}

/// Puts `new` at `path` (removes the node if `None`).
pub(super) fn set(doc: &mut Value, path: &KeyPath, new: Option<Value>) {
    let (last, parents) = path.0.split_last().expect("a node below the root");
    let parent = parents.iter().fold(doc, |node, seg| match seg {
        Seg::Key(k) => node.get_mut(k.as_str()).unwrap(),
        Seg::Index(i) => node.get_mut(*i).unwrap(),
    });
    match (parent, last, new) {
        (Value::Table(t), Seg::Key(k), Some(v)) => {
            t.insert(k.clone(), v);
        }
        (Value::Table(t), Seg::Key(k), None) => {
            t.remove(k);
        }
        (Value::Array(a), Seg::Index(i), Some(v)) => a[*i] = v,
        (Value::Array(a), Seg::Index(i), None) => {
            a.remove(*i);
        }
        (parent, seg, _) => panic!("{seg:?} does not lead into {parent:?}"),
    }
}

/// A value as a case label shows it: short, floats as `1e300`/`nan`,
/// long strings by their size.
pub(super) fn show(v: &Value) -> String {
    let text = match v {
        Value::Float(f) if f.is_nan() => "nan".into(),
        Value::Float(f) if f.is_infinite() => if *f > 0.0 { "inf" } else { "-inf" }.into(),
        Value::Float(f) => format!("{f:?}"),
        Value::String(s) if s.len() > 60 => return format!("a {}-byte string", s.len()),
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}
