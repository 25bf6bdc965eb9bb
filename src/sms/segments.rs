//! Exact SMS segment counts. Text is NFC-normalised first; if every character
//! is in the GSM 03.38 basic or extension table it goes as GSM-7 (extension
//! characters take two septets and are never split across parts), otherwise as
//! UCS-2 counted in UTF-16 units (surrogate pairs never split).
//! Single part: 160 septets / 70 units; multipart: 153 / 67 per part.

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Encoding {
    #[serde(rename = "GSM-7")]
    Gsm7,
    #[serde(rename = "UCS-2")]
    Ucs2,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gsm7 => "GSM-7",
            Self::Ucs2 => "UCS-2",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Count {
    pub encoding: Encoding,
    pub segments: u32,
    /// Septets for GSM-7, UTF-16 code units for UCS-2.
    pub units: u32,
}

/// The GSM 03.38 basic character set (ESC excluded: it introduces the extension table).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The extension table: each costs an escape septet plus itself.
const GSM_EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// Septets a character costs in GSM-7, or `None` if it forces UCS-2.
pub fn gsm_septets(c: char) -> Option<u32> {
    if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

pub fn count(text: &str) -> Count {
    let text: String = text.nfc().collect();
    let septets: Option<Vec<u32>> = text.chars().map(gsm_septets).collect();
    match septets {
        Some(costs) => {
            let units = costs.iter().sum();
            Count {
                encoding: Encoding::Gsm7,
                segments: pack(&costs, units, 160, 153),
                units,
            }
        }
        None => {
            let costs: Vec<u32> = text.chars().map(|c| c.len_utf16() as u32).collect();
            let units = costs.iter().sum();
            Count {
                encoding: Encoding::Ucs2,
                segments: pack(&costs, units, 70, 67),
                units,
            }
        }
    }
}

/// Parts needed when characters (of the given unit costs) are packed greedily
/// and none is split across two parts.
fn pack(costs: &[u32], total: u32, single: u32, multi: u32) -> u32 {
    if total <= single {
        return 1;
    }
    let mut parts = 1;
    let mut used = 0;
    for &c in costs {
        if used + c > multi {
            parts += 1;
            used = 0;
        }
        used += c;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(s: &str) -> (Encoding, u32, u32) {
        let c = count(s);
        (c.encoding, c.segments, c.units)
    }

    #[test]
    fn gsm_boundaries() {
        assert_eq!(seg(&"a".repeat(160)), (Encoding::Gsm7, 1, 160));
        assert_eq!(seg(&"a".repeat(161)), (Encoding::Gsm7, 2, 161));
        assert_eq!(seg(&"a".repeat(306)), (Encoding::Gsm7, 2, 306));
        assert_eq!(seg(&"a".repeat(307)), (Encoding::Gsm7, 3, 307));
    }

    #[test]
    fn extension_never_split() {
        // 152 septets then € (2 septets): 154 > 153, so € starts the second part.
        let s = format!("{}€{}", "a".repeat(152), "a".repeat(10));
        assert_eq!(seg(&s), (Encoding::Gsm7, 2, 164));
        let s = format!("{}€", "a".repeat(158));
        assert_eq!(seg(&s), (Encoding::Gsm7, 1, 160));
        let s = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        // part 1: 152, part 2: € + 151, part 3: 1
        assert_eq!(seg(&s).1, 3);
    }

    #[test]
    fn the_c_cedilla_trap() {
        assert_eq!(seg("Ça va").0, Encoding::Gsm7);
        assert_eq!(seg("ça va").0, Encoding::Ucs2);
        assert_eq!(seg("Réunion à la mairie").0, Encoding::Gsm7);
        assert_eq!(seg("Fête de l’école").0, Encoding::Ucs2);
    }

    #[test]
    fn ucs2_boundaries_and_surrogates() {
        assert_eq!(seg(&"ç".repeat(70)), (Encoding::Ucs2, 1, 70));
        assert_eq!(seg(&"ç".repeat(71)), (Encoding::Ucs2, 2, 71));
        // 66 units then an emoji (2 units): the pair moves to part 2.
        let s = format!("{}😀{}", "ç".repeat(66), "ç".repeat(3));
        assert_eq!(seg(&s), (Encoding::Ucs2, 2, 71));
        assert_eq!(seg(&"ç".repeat(134)).1, 2);
        assert_eq!(seg(&"ç".repeat(135)).1, 3);
    }

    #[test]
    fn nfc_first() {
        // "e" + combining acute is é after NFC, which GSM-7 has.
        assert_eq!(seg("e\u{301}"), (Encoding::Gsm7, 1, 1));
    }
}
