//! The SMS module: segment counting (GSM 03.38 / UCS-2). Phone numbers and
//! gateways come with the SMS issue.

pub mod segments;
