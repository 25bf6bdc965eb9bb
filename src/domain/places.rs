//! Burkina Faso's regions, provinces and communes as people type them:
//! `Kuilse` is Kuilsé, `GOROM gorom` is Gorom-Gorom; a name that is close
//! to a real one but not it gets a suggestion ("vouliez-vous Kuilsé ?").
//! The list is `data/bf_communes.csv` (INSD, RGPH 2019; attribution and
//! licence in data/README.md).

use std::sync::OnceLock;

/// Burkina Faso's communes (INSD, RGPH 2019); see data/README.md for the source.
pub const COMMUNES_CSV: &str = include_str!("../../data/bf_communes.csv");

/// A kind of place a filter names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Region,
    Province,
    Commune,
}

impl Level {
    /// The level a list filter names, if it names a place.
    pub fn of(key: crate::store::query::FilterKey) -> Option<Level> {
        use crate::store::query::FilterKey;
        match key {
            FilterKey::Region => Some(Level::Region),
            FilterKey::Province => Some(Level::Province),
            FilterKey::Commune => Some(Level::Commune),
            _ => None,
        }
    }
}

/// What a typed place name is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A known place, spelt as stored.
    Known(String),
    /// Not a known place, but close to this one (a typo).
    Close(String),
    /// Nothing like any known place (another country's, perhaps): used as typed.
    Unknown,
}

struct Places {
    /// (folded, canonical) per level, deduplicated.
    regions: Vec<(String, String)>,
    provinces: Vec<(String, String)>,
    communes: Vec<(String, String)>,
}

fn places() -> &'static Places {
    static PLACES: OnceLock<Places> = OnceLock::new();
    PLACES.get_or_init(|| {
        let mut p = Places {
            regions: Vec::new(),
            provinces: Vec::new(),
            communes: Vec::new(),
        };
        for line in COMMUNES_CSV.lines().skip(1) {
            let cols: Vec<&str> = line.split(',').collect();
            let [region, _, province, commune, ..] = cols.as_slice() else {
                continue;
            };
            for (list, name) in [
                (&mut p.regions, region),
                (&mut p.provinces, province),
                (&mut p.communes, commune),
            ] {
                let key = key(name);
                if !list.iter().any(|(k, _)| *k == key) {
                    list.push((key, (*name).to_owned()));
                }
            }
        }
        p
    })
}

/// How a contact's region or commune is found by a dynamic group: its name
/// in the list when it is one (however it was typed), else its folded form
/// (which no name in the list equals).
pub fn stored_key(level: Level, name: &str) -> String {
    match resolve(level, name) {
        Resolved::Known(known) => known,
        _ => key(name),
    }
}

/// How names compare: accents, case, hyphens and spacing do not matter.
pub fn key(name: &str) -> String {
    crate::text::fold(name)
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The names known at a level, as stored (for completion).
pub fn names(level: Level) -> impl Iterator<Item = &'static str> {
    let p = places();
    match level {
        Level::Region => &p.regions,
        Level::Province => &p.provinces,
        Level::Commune => &p.communes,
    }
    .iter()
    .map(|(_, n)| n.as_str())
}

/// What `typed` names at `level`.
pub fn resolve(level: Level, typed: &str) -> Resolved {
    let p = places();
    let list = match level {
        Level::Region => &p.regions,
        Level::Province => &p.provinces,
        Level::Commune => &p.communes,
    };
    let k = key(typed);
    if let Some((_, name)) = list.iter().find(|(key, _)| *key == k) {
        return Resolved::Known(name.clone());
    }
    // A typo: one or two letters off a real name (of some length).
    let limit = if k.chars().count() >= 7 { 2 } else { 1 };
    list.iter()
        .map(|(key, name)| (distance(&k, key), name))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, name)| Resolved::Close(name.clone()))
        .unwrap_or(Resolved::Unknown)
}

/// The region and province of a commune (its stored name), from the list.
pub fn commune_home(commune: &str) -> Option<(String, String)> {
    let k = key(commune);
    COMMUNES_CSV.lines().skip(1).find_map(|line| {
        let cols: Vec<&str> = line.split(',').collect();
        match cols.as_slice() {
            [region, _, province, name, ..] if key(name) == k => {
                Some(((*region).to_owned(), (*province).to_owned()))
            }
            _ => None,
        }
    })
}

/// Levenshtein distance in characters.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            prev = here;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_found_as_people_type_them() {
        assert_eq!(
            resolve(Level::Region, "Kuilse"),
            Resolved::Known("Kuilsé".into())
        );
        assert_eq!(
            resolve(Level::Commune, "gorom gorom"),
            Resolved::Known("Gorom-Gorom".into())
        );
        assert_eq!(
            resolve(Level::Region, "Kuilsze"),
            Resolved::Close("Kuilsé".into())
        );
        assert_eq!(resolve(Level::Region, "Tillabéri"), Resolved::Unknown);
        // 351 communes, two names used twice.
        assert_eq!(names(Level::Commune).count(), 349);
    }
}
