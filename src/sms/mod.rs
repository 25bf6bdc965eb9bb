//! The SMS module: segment counting (GSM 03.38 / UCS-2) and phone numbers.

pub mod dispatch;
pub mod phone;
pub mod segments;
