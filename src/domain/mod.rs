//! Domain rules: the statuses of every record, which transitions are allowed,
//! which role may do what, and input validation. Pure functions over plain
//! values: no SQL, no I/O. `ops::apply` asks these modules before it writes.

pub mod enrollment;
pub mod forum;
pub mod places;
pub mod platform;
pub mod sms;
pub mod staff;
pub mod uploads;

/// Declares an enum whose variants are stored as fixed English strings (the
/// values the schema's CHECK constraints list). One declaration gives `as_str`,
/// `FromStr`, `ALL`, serde and SQLite conversions, so the list lives in one place.
#[macro_export]
macro_rules! str_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::domain::UnknownValue {
                        what: stringify!($name),
                        value: s.to_owned(),
                        allowed: &[$($text),+],
                    }),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl rusqlite::types::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(rusqlite::types::ToSqlOutput::from(self.as_str()))
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                v.as_str()?.parse().map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
            }
        }
    };
}

/// A stored or typed value that is not one of an enum's allowed strings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} \"{value}\" (allowed: {})", allowed.join(", "))]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
    pub allowed: &'static [&'static str],
}

/// Folds a name for duplicate detection: accents, case, punctuation and runs of
/// spaces do not make two organisations different.
pub fn normalise_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending_space = false;
    let push = |out: &mut String, pending: &mut bool, s: &str| {
        if *pending && !out.is_empty() {
            out.push(' ');
        }
        *pending = false;
        out.push_str(s);
    };
    for c in name.chars() {
        if let Some(base) = latin_base(c) {
            if !base.is_empty() {
                push(&mut out, &mut pending_space, base);
            }
        } else if c.is_alphanumeric() {
            let lower: String = c.to_lowercase().collect();
            push(&mut out, &mut pending_space, &lower);
        } else {
            pending_space = true;
        }
    }
    out
}

/// Latin letters with diacritics (those French, Mooré, Dioula and Fulfulde
/// names use) mapped to their base letter; combining marks map to nothing.
fn latin_base(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' | 'ẽ' | 'Ẽ' | 'ɛ' | 'Ɛ' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' | 'ĩ' | 'Ĩ' => "i",
        'ñ' | 'Ñ' | 'ŋ' | 'Ŋ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'ɔ' | 'Ɔ' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' | 'ũ' | 'Ũ' => "u",
        'ý' | 'ÿ' | 'Ý' | 'Ÿ' => "y",
        'œ' | 'Œ' => "oe",
        'æ' | 'Æ' => "ae",
        '\u{300}'..='\u{36f}' => "",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::normalise_name;

    #[test]
    fn names_fold_accents_case_and_punctuation() {
        assert_eq!(
            normalise_name("Association des Femmes Rurales de Koudougou"),
            normalise_name("ASSOCIATION DES FEMMES RURALES DE KOUDOUGOU.")
        );
        assert_eq!(
            normalise_name("  Réseau  Naam-Yaadga! "),
            "reseau naam yaadga"
        );
        assert_eq!(
            normalise_name("Commune de Fada N'Gourma"),
            "commune de fada n gourma"
        );
        assert_ne!(
            normalise_name("Association A"),
            normalise_name("Association B")
        );
    }
}
