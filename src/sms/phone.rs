//! Phone numbers: parsed with libphonenumber's metadata (the `phonenumber`
//! crate) against a default region, stored as E.164. Côte d'Ivoire's ten-digit
//! numbers keep their leading 0 (+225 07 …), as the metadata knows.

use sha2::{Digest, Sha256};

/// Regions an import may default to (where Civitac works and its neighbours).
pub const REGIONS: &[(&str, phonenumber::country::Id)] = &[
    ("BF", phonenumber::country::BF),
    ("NE", phonenumber::country::NE),
    ("ML", phonenumber::country::ML),
    ("SN", phonenumber::country::SN),
    ("CI", phonenumber::country::CI),
];

pub fn region(code: &str) -> Option<phonenumber::country::Id> {
    REGIONS
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .map(|(_, id)| *id)
}

/// What a number is, as far as SMS goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    Mobile,
    Fixed,
    /// Mobile or fixed: the numbering plan does not say.
    Either,
    Unknown,
}

impl Line {
    pub fn label(self, lang: crate::i18n::Lang) -> &'static str {
        match self {
            Line::Mobile => lang.pick("mobile", "mobile"),
            Line::Fixed => lang.pick("fixe", "fixed"),
            Line::Either => lang.pick("fixe/mobile", "fixed/mobile"),
            Line::Unknown => lang.pick("inconnu", "unknown"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("no phone number")]
    Empty,
    #[error("\"{0}\" is not a phone number")]
    Unreadable(String),
    #[error("\"{number}\" is not a valid number for {region}")]
    Invalid { number: String, region: String },
}

/// A number as typed (local or international) → E.164, or why not.
pub fn to_e164(raw: &str, default_region: phonenumber::country::Id) -> Result<String, PhoneError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(PhoneError::Empty);
    }
    // 00 is the international prefix from these countries.
    let typed = match trimmed.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => trimmed.to_owned(),
    };
    let shown: String = trimmed.chars().take(40).collect();
    let number = phonenumber::parse(Some(default_region), &typed)
        .map_err(|_| PhoneError::Unreadable(shown.clone()))?;
    if !phonenumber::is_valid(&number) {
        let region = number
            .country()
            .id()
            .map_or_else(|| format!("{default_region:?}"), |id| format!("{id:?}"));
        return Err(PhoneError::Invalid {
            number: shown,
            region,
        });
    }
    Ok(number.format().mode(phonenumber::Mode::E164).to_string())
}

/// Mobile or fixed, from the number's own plan.
pub fn line(e164: &str) -> Line {
    let Ok(n) = phonenumber::parse(None, e164) else {
        return Line::Unknown;
    };
    use phonenumber::Type;
    match n.number_type(&phonenumber::metadata::DATABASE) {
        Type::Mobile => Line::Mobile,
        Type::FixedLine => Line::Fixed,
        Type::FixedLineOrMobile => Line::Either,
        _ => Line::Unknown,
    }
}

/// Whether text is shaped like E.164 (+, then 8 to 15 digits, no leading 0).
pub fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// The id of the contact with this number: the same on every replica, so two
/// field agents importing the same person make one contact, not two.
pub fn contact_id(e164: &str) -> String {
    let digest = Sha256::digest(format!("sms_contact\n{e164}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_of_the_region_become_e164() {
        let bf = phonenumber::country::BF;
        assert_eq!(to_e164("70 12 34 56", bf).as_deref(), Ok("+22670123456"));
        assert_eq!(to_e164("0022670123456", bf).as_deref(), Ok("+22670123456"));
        assert_eq!(
            to_e164("+226 70-12-34-56", bf).as_deref(),
            Ok("+22670123456")
        );
        assert_eq!(
            to_e164("96 12 34 56", phonenumber::country::NE).as_deref(),
            Ok("+22796123456")
        );
        // Côte d'Ivoire keeps its leading 0.
        assert_eq!(
            to_e164("07 07 12 34 56", phonenumber::country::CI).as_deref(),
            Ok("+2250707123456")
        );
        assert_eq!(to_e164("", bf), Err(PhoneError::Empty));
        assert!(matches!(
            to_e164("123", bf),
            Err(PhoneError::Invalid { .. })
        ));
        assert!(matches!(
            to_e164("appelle-moi", bf),
            Err(PhoneError::Unreadable(_))
        ));
        assert_eq!(line("+22670123456"), Line::Mobile);
        assert_eq!(line("+22625301234"), Line::Fixed);
        assert!(is_e164("+22670123456") && !is_e164("22670123456") && !is_e164("+0226"));
        assert_eq!(contact_id("+22670123456"), contact_id("+22670123456"));
        assert_ne!(contact_id("+22670123456"), contact_id("+22670123457"));
    }
}
