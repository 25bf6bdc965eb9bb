//! Enrolment of organisations: an organisation reads and signs the charter and
//! sends it in; the animation team then contacts its leaders and enrols it.
//! `applied → charter_received → contacted → enrolled`; any non-final stage may
//! be rejected; `enrolled ⇄ suspended`.

use crate::domain::staff::Permission;
use crate::str_enum;

str_enum! {
    /// Where an organisation stands (the `organizations.status` column).
    pub enum Stage {
        Applied = "applied",
        CharterReceived = "charter_received",
        Contacted = "contacted",
        Enrolled = "enrolled",
        Rejected = "rejected",
        Suspended = "suspended",
    }
}

str_enum! {
    /// The kinds of organisation that enrol.
    pub enum OrgKind {
        Commune = "commune",
        Region = "region",
        Osc = "osc",
    }
}

str_enum! {
    /// A step in the enrolment pipeline, as a person decides it.
    pub enum EnrollmentAction {
        RecordCharter = "record_charter",
        RecordContact = "record_contact",
        Enrol = "enrol",
        Reject = "reject",
        Suspend = "suspend",
        Reinstate = "reinstate",
    }
}

impl EnrollmentAction {
    /// The stage an organisation is in after this action.
    pub fn target(self) -> Stage {
        match self {
            Self::RecordCharter => Stage::CharterReceived,
            Self::RecordContact => Stage::Contacted,
            Self::Enrol | Self::Reinstate => Stage::Enrolled,
            Self::Reject => Stage::Rejected,
            Self::Suspend => Stage::Suspended,
        }
    }

    /// The stages this action may start from.
    pub fn allowed_from(self) -> &'static [Stage] {
        use Stage::*;
        match self {
            Self::RecordCharter => &[Applied],
            Self::RecordContact => &[CharterReceived],
            Self::Enrol => &[Contacted],
            Self::Reject => &[Applied, CharterReceived, Contacted],
            Self::Suspend => &[Enrolled],
            Self::Reinstate => &[Suspended],
        }
    }

    pub fn can_start_from(self, from: Stage) -> bool {
        self.allowed_from().contains(&from)
    }

    pub fn needs_reason(self) -> bool {
        matches!(self, Self::Reject | Self::Suspend)
    }

    pub fn permission(self) -> Permission {
        match self {
            Self::RecordCharter | Self::RecordContact => Permission::AdvanceEnrollment,
            Self::Enrol | Self::Reject | Self::Suspend | Self::Reinstate => {
                Permission::DecideEnrollment
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipeline_is_the_documented_one() {
        use EnrollmentAction as A;
        use Stage::*;
        let legal: Vec<(Stage, Stage)> = A::ALL
            .iter()
            .flat_map(|a| a.allowed_from().iter().map(move |f| (*f, a.target())))
            .collect();
        let mut expected = vec![
            (Applied, CharterReceived),
            (CharterReceived, Contacted),
            (Contacted, Enrolled),
            (Applied, Rejected),
            (CharterReceived, Rejected),
            (Contacted, Rejected),
            (Enrolled, Suspended),
            (Suspended, Enrolled),
        ];
        let mut got = legal.clone();
        got.sort();
        expected.sort();
        assert_eq!(got, expected);
        // Rejected is final: nothing leaves it.
        assert!(A::ALL.iter().all(|a| !a.can_start_from(Rejected)));
    }
}
