//! Forum moderation: posts are hidden, removed or restored; open flags are
//! dismissed; threads locked; citizens muted, banned or reinstated.

use crate::domain::staff::Permission;
use crate::str_enum;

str_enum! {
    pub enum PostStatus {
        Visible = "visible",
        Hidden = "hidden",
        Removed = "removed",
    }
}

str_enum! {
    pub enum FlagReason {
        Spam = "spam",
        Abuse = "abuse",
        OffTopic = "off_topic",
        PersonalData = "personal_data",
        Misinformation = "misinformation",
        Other = "other",
    }
}

str_enum! {
    pub enum PostAction {
        Hide = "hide",
        Remove = "remove",
        Restore = "restore",
    }
}

impl PostAction {
    pub fn target(self) -> PostStatus {
        match self {
            Self::Hide => PostStatus::Hidden,
            Self::Remove => PostStatus::Removed,
            Self::Restore => PostStatus::Visible,
        }
    }

    pub fn allowed_from(self) -> &'static [PostStatus] {
        use PostStatus::*;
        match self {
            Self::Hide => &[Visible],
            Self::Remove => &[Visible, Hidden],
            Self::Restore => &[Hidden, Removed],
        }
    }

    pub fn can_start_from(self, from: PostStatus) -> bool {
        self.allowed_from().contains(&from)
    }

    /// Hiding or removing a post answers its flags, so they are resolved with it.
    pub fn resolves_flags(self) -> bool {
        !matches!(self, Self::Restore)
    }

    pub fn needs_reason(self) -> bool {
        !matches!(self, Self::Restore)
    }
}

str_enum! {
    pub enum CitizenStatus {
        Active = "active",
        Muted = "muted",
        Banned = "banned",
    }
}

str_enum! {
    pub enum CitizenAction {
        Mute = "mute",
        Ban = "ban",
        Reinstate = "reinstate",
    }
}

impl CitizenAction {
    pub fn target(self) -> CitizenStatus {
        match self {
            Self::Mute => CitizenStatus::Muted,
            Self::Ban => CitizenStatus::Banned,
            Self::Reinstate => CitizenStatus::Active,
        }
    }

    /// Muting again extends (or shortens) a mute.
    pub fn allowed_from(self) -> &'static [CitizenStatus] {
        use CitizenStatus::*;
        match self {
            Self::Mute => &[Active, Muted],
            Self::Ban => &[Active, Muted],
            Self::Reinstate => &[Muted, Banned],
        }
    }

    pub fn can_start_from(self, from: CitizenStatus) -> bool {
        self.allowed_from().contains(&from)
    }

    /// Lifting a ban is as serious as imposing one.
    pub fn permission(self, from: CitizenStatus) -> Permission {
        match (self, from) {
            (Self::Ban, _) | (Self::Reinstate, CitizenStatus::Banned) => Permission::BanCitizen,
            _ => Permission::MuteCitizen,
        }
    }

    pub fn needs_reason(self) -> bool {
        !matches!(self, Self::Reinstate)
    }
}
