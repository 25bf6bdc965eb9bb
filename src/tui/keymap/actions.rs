//! The actions a key can do, the keymap sections, and each action's help text.

use crate::str_enum;

str_enum! {
    /// Everything a key can do.
    pub enum Action {
        Quit = "quit",
        Help = "help",
        Messages = "messages",
        Palette = "palette",
        ScreenDashboard = "screen-dashboard",
        ScreenEnrollments = "screen-enrollments",
        ScreenUploads = "screen-uploads",
        ScreenForum = "screen-forum",
        ScreenSms = "screen-sms",
        ScreenSync = "screen-sync",
        ScreenJournal = "screen-journal",
        NextScreen = "next-screen",
        PrevScreen = "prev-screen",
        Up = "up",
        Down = "down",
        PageUp = "page-up",
        PageDown = "page-down",
        Top = "top",
        Bottom = "bottom",
        Search = "search",
        Filter = "filter",
        Mark = "mark",
        MarkAll = "mark-all",
        ClearMarks = "clear-marks",
        Detail = "detail",
        NextPane = "next-pane",
        DetailDown = "detail-down",
        DetailUp = "detail-up",
        NextView = "next-view",
        Refresh = "refresh",
        Undo = "undo",
        SyncNow = "sync",
        AcceptTheirs = "accept-theirs",
        OpenRecord = "open-record",
        FetchFile = "fetch-file",
        Compose = "compose",
        CancelSms = "cancel-sms",
        OptOut = "opt-out",
        Approve = "approve",
        Reject = "reject",
        RequestChanges = "request-changes",
        Contacted = "contacted",
        Suspend = "suspend",
        Reinstate = "reinstate",
        Hide = "hide",
        Remove = "remove",
        Restore = "restore",
        Dismiss = "dismiss",
        Confirm = "confirm",
        Cancel = "cancel",
        ToggleNotify = "toggle-notify",
    }
}

str_enum! {
    /// Where a binding applies. Screen sections win over `list`, which wins over `global`.
    pub enum Section {
        Global = "global",
        List = "list",
        Dialog = "dialog",
        Dashboard = "dashboard",
        Enrollments = "enrollments",
        Uploads = "uploads",
        Forum = "forum",
        Sms = "sms",
        Sync = "sync",
        Journal = "journal",
    }
}
