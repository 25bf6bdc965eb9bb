//! Where a replica stands in the hub's history: opaque text on the wire.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::entity::Entity;

/// Where a replica stands: in the snapshot (which table, after which key) or
/// in the feed (after which `changes.seq`). Opaque text on the wire.
#[derive(Debug, Clone, PartialEq)]
pub enum Cursor {
    /// A replica with nothing yet: a snapshot first.
    Start,
    /// After this `changes.seq`.
    Feed(i64),
    Snapshot {
        /// The feed position the snapshot started at.
        upto: i64,
        /// Index into `SYNCED`.
        table: usize,
        /// The last key sent from that table (empty: none yet).
        after: Vec<Value>,
    },
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cursor::Start => f.write_str("start"),
            Cursor::Feed(seq) => write!(f, "{seq}"),
            Cursor::Snapshot { upto, table, after } => {
                write!(f, "s:{upto}:{table}:{}", Value::from(after.clone()))
            }
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("\"{0}\" is not a pull cursor")]
pub struct BadCursor(pub String);

impl FromStr for Cursor {
    type Err = BadCursor;
    fn from_str(s: &str) -> Result<Cursor, BadCursor> {
        let bad = || BadCursor(s.chars().take(80).collect());
        if s == "start" {
            return Ok(Cursor::Start);
        }
        if let Ok(seq) = s.parse::<i64>() {
            return if seq >= 0 {
                Ok(Cursor::Feed(seq))
            } else {
                Err(bad())
            };
        }
        let rest = s.strip_prefix("s:").ok_or_else(bad)?;
        let mut parts = rest.splitn(3, ':');
        let upto = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let table: usize = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let after: Vec<Value> =
            serde_json::from_str(parts.next().ok_or_else(bad)?).map_err(|_| bad())?;
        let fits = Entity::SYNCED
            .get(table)
            .is_some_and(|t| after.is_empty() || after.len() == t.key().len());
        if !fits || after.iter().any(|v| v.is_array() || v.is_object()) {
            return Err(bad());
        }
        Ok(Cursor::Snapshot { upto, table, after })
    }
}

impl Serialize for Cursor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cursor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Cursor, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_what_they_write() {
        for c in [
            Cursor::Start,
            Cursor::Feed(0),
            Cursor::Feed(42),
            Cursor::Snapshot {
                upto: 7,
                table: 3,
                after: vec![
                    Value::from("u/1"),
                    Value::from("pop:total"),
                    Value::from(2019),
                ],
            },
            Cursor::Snapshot {
                upto: 7,
                table: 0,
                after: vec![],
            },
        ] {
            assert_eq!(c.to_string().parse::<Cursor>(), Ok(c.clone()), "{c}");
        }
        for bad in [
            "",
            "-1",
            "s:1",
            "s:1:99:[]",
            "s:1:0:[1,2]",
            "s:x:0:[]",
            "s:1:0:[[1]]",
        ] {
            assert!(bad.parse::<Cursor>().is_err(), "{bad}");
        }
    }
}
