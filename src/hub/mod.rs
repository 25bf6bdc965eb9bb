//! The hub: the one place every replica's decisions meet. It applies pushed
//! ops (with the conflict rules), answers pulls from its change feed,
//! ingests the public platform's content, keeps tokens and files, sends SMS,
//! and serves all of it over HTTP. It imports nothing from `replica` or `tui`.

pub mod backend;
pub mod backup;
pub mod bundle;
pub mod decisions;
pub mod feed;
pub mod files;
pub mod ingest;
pub mod local;
pub mod pg;
pub mod push;
pub mod recount;
pub mod runtime;
pub mod server;
pub mod sms;
pub mod tokens;
pub mod webhooks;
pub mod words;

/// Why an item (a platform line, a pushed op) is not taken: refused for
/// what it says (reported, the others go on), or the database failing
/// while it was checked (which stops the whole).
pub(crate) enum Refusal {
    Refused(String),
    Storage(crate::store::sql::DbError),
}

impl From<String> for Refusal {
    fn from(why: String) -> Refusal {
        Refusal::Refused(why)
    }
}

impl From<&str> for Refusal {
    fn from(why: &str) -> Refusal {
        Refusal::Refused(why.to_owned())
    }
}
