//! SMS messages to broadcast groups: queued by staff, approved by an admin who
//! is not the author (two-person rule), cancellable until sending starts.

use crate::str_enum;

/// Messages to more recipients than this need an admin's approval even when
/// they are notices (a hub may set `sms_approval_threshold` in `sync_state`).
pub const APPROVAL_THRESHOLD: i64 = 500;

/// The longest message, in segments (10 × 153 GSM-7 characters): beyond it
/// a message is a document, not an SMS, and every recipient pays each part.
pub const MAX_SEGMENTS: i64 = 10;

str_enum! {
    pub enum SmsKind {
        Alert = "alert",
        Notice = "notice",
    }
}

str_enum! {
    pub enum SmsStatus {
        Draft = "draft",
        Queued = "queued",
        Approved = "approved",
        Sending = "sending",
        Sent = "sent",
        Failed = "failed",
        Cancelled = "cancelled",
    }
}

impl SmsStatus {
    pub fn can_approve(self) -> bool {
        self == Self::Queued
    }

    pub fn can_cancel(self) -> bool {
        matches!(self, Self::Draft | Self::Queued | Self::Approved)
    }
}
