//! Review of uploads (documents, statistics, articles, media): pending uploads
//! are approved, rejected or sent back for changes; the last two need a reason.

use crate::str_enum;

str_enum! {
    pub enum UploadStatus {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
        ChangesRequested = "changes_requested",
    }
}

str_enum! {
    pub enum UploadKind {
        Document = "document",
        Statistic = "statistic",
        Article = "article",
        Video = "video",
        Audio = "audio",
        Photo = "photo",
    }
}

str_enum! {
    /// Categories of `document` uploads.
    pub enum DocumentCategory {
        LocalDevelopmentPlan = "local_development_plan",
        Budget = "budget",
        ProcurementPlan = "procurement_plan",
        CouncilMinutes = "council_minutes",
        Other = "other",
    }
}

str_enum! {
    pub enum ReviewDecision {
        Approve = "approve",
        Reject = "reject",
        RequestChanges = "request_changes",
    }
}

impl ReviewDecision {
    pub fn target(self) -> UploadStatus {
        match self {
            Self::Approve => UploadStatus::Approved,
            Self::Reject => UploadStatus::Rejected,
            Self::RequestChanges => UploadStatus::ChangesRequested,
        }
    }

    /// Only a pending upload is reviewed; a resubmission from the platform makes
    /// it pending again.
    pub fn can_start_from(self, from: UploadStatus) -> bool {
        from == UploadStatus::Pending
    }

    pub fn needs_reason(self) -> bool {
        !matches!(self, Self::Approve)
    }
}
