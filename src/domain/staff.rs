//! Staff roles and the permission matrix: which role may take which kind of
//! decision. The matrix is written out once here (and mirrored as a table in
//! ARCHITECTURE.md, which a test keeps in step).

use crate::str_enum;

str_enum! {
    /// A staff member's role; the hub enforces it for every pushed op.
    pub enum Role {
        Admin = "admin",
        Moderator = "moderator",
        FieldAgent = "field_agent",
    }
}

str_enum! {
    /// A kind of decision, as far as permissions are concerned.
    pub enum Permission {
        ApplyEnrollment = "apply_enrollment",
        AdvanceEnrollment = "advance_enrollment",
        DecideEnrollment = "decide_enrollment",
        ReviewUpload = "review_upload",
        ModeratePost = "moderate_post",
        LockThread = "lock_thread",
        MuteCitizen = "mute_citizen",
        BanCitizen = "ban_citizen",
        QueueSms = "queue_sms",
        ManageContacts = "manage_contacts",
        ApproveSms = "approve_sms",
        CancelAnySms = "cancel_any_sms",
        ManageStaff = "manage_staff",
    }
}

impl Permission {
    /// The roles that hold this permission.
    pub fn roles(self) -> &'static [Role] {
        use Permission::*;
        use Role::*;
        match self {
            ApplyEnrollment | AdvanceEnrollment => &[Admin, FieldAgent],
            DecideEnrollment => &[Admin],
            ReviewUpload | ModeratePost | LockThread | MuteCitizen => &[Admin, Moderator],
            BanCitizen => &[Admin],
            QueueSms | ManageContacts => &[Admin, Moderator, FieldAgent],
            ApproveSms | CancelAnySms | ManageStaff => &[Admin],
        }
    }
}

impl Role {
    pub fn may(self, permission: Permission) -> bool {
        permission.roles().contains(&self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The matrix in ARCHITECTURE.md is the one people read; it must say what the code does.
    #[test]
    fn architecture_md_matrix_matches_code() {
        let doc = include_str!("../../ARCHITECTURE.md");
        for p in Permission::ALL {
            let line = doc
                .lines()
                .find(|l| l.starts_with(&format!("| `{}`", p.as_str())))
                .unwrap_or_else(|| panic!("ARCHITECTURE.md has no row for {p}"));
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            for (i, role) in Role::ALL.iter().enumerate() {
                let documented = cells[2 + i] == "yes";
                assert_eq!(
                    documented,
                    role.may(*p),
                    "{p} for {role}: ARCHITECTURE.md says {}",
                    cells[2 + i]
                );
            }
        }
    }
}
