//! SMS facts both sides share: segment counting (GSM 03.38 / UCS-2), phone
//! numbers, quiet hours. Sending is the hub's (`hub::sms`).

pub mod phone;
pub mod quiet;
pub mod segments;
