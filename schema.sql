-- civitac schema, version 9 (PRAGMA user_version = 9).
-- A file at version 1 is brought here by src/store/migrations (one step per version).
--
-- One file for the replica and the hub: both hold the domain tables; the sync
-- tables of the other side simply stay empty. Table and column names are a
-- contract (DESIGN §3). Ids are text UUIDs (v7), timestamps UTC RFC 3339 text.
-- Every status column has a CHECK whose list is tested against the Rust enums
-- (tests/schema.rs), so the schema and the code cannot drift apart.

CREATE TABLE staff (
    id            TEXT PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin','moderator','field_agent')),
    -- Version 5: switched off when the person left (every device revoked);
    -- the last change (its op id, audit action, who, when), which replicas
    -- put in their Journal; when one of their devices last synced.
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    change_id     TEXT,
    change        TEXT,
    changed_by    TEXT,
    changed_at    TEXT,
    last_sync_at  TEXT
);

CREATE TABLE organizations (
    id                 TEXT PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('commune','region','osc')),
    name               TEXT NOT NULL,
    acronym            TEXT,
    region             TEXT NOT NULL,
    province           TEXT,
    commune            TEXT,
    contact_name       TEXT,
    contact_role       TEXT,
    phone              TEXT,
    email              TEXT,
    status             TEXT NOT NULL DEFAULT 'applied'
                       CHECK (status IN ('applied','charter_received','contacted','enrolled','rejected','suspended')),
    charter_signed_on  TEXT,
    charter_ref        TEXT,
    notes              TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1,
    -- normalised name (accents, case, punctuation folded) for duplicate detection
    name_key           TEXT NOT NULL DEFAULT '',
    -- the public platform's own id (any printable text); `id` is derived from it
    platform_id        TEXT,
    -- the search index's key, in list order (see "version 7"); never synced
    search_key         INTEGER
);
CREATE INDEX organizations_by_created ON organizations (created_at, id);
CREATE INDEX organizations_by_status ON organizations (status, created_at, id);
CREATE INDEX organizations_by_region ON organizations (region, created_at, id);
CREATE INDEX organizations_by_name_key ON organizations (name_key, commune);
CREATE INDEX organizations_by_region_status ON organizations (region, status);

CREATE TABLE uploads (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    kind          TEXT NOT NULL CHECK (kind IN ('document','statistic','article','video','audio','photo')),
    category      TEXT CHECK (category IS NULL OR category IN
                  ('local_development_plan','budget','procurement_plan','council_minutes','other')),
    title         TEXT NOT NULL,
    description   TEXT,
    filename      TEXT NOT NULL,
    mime          TEXT NOT NULL,
    size_bytes    INTEGER NOT NULL CHECK (size_bytes >= 0),
    sha256        TEXT NOT NULL,
    submitted_at  TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending','approved','rejected','changes_requested')),
    reviewed_by   TEXT,
    reviewed_at   TEXT,
    reason        TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    platform_id   TEXT,
    search_key    INTEGER
);
CREATE INDEX uploads_by_submitted ON uploads (submitted_at, id);
CREATE INDEX uploads_by_status ON uploads (status, submitted_at, id);
CREATE INDEX uploads_by_org ON uploads (org_id, submitted_at, id);

CREATE TABLE upload_stats (
    upload_id  TEXT NOT NULL REFERENCES uploads (id),
    indicator  TEXT NOT NULL,
    year       INTEGER NOT NULL,
    value      REAL NOT NULL,
    PRIMARY KEY (upload_id, indicator, year)
);

CREATE TABLE forum_threads (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    category    TEXT NOT NULL,
    org_id      TEXT REFERENCES organizations (id),
    created_at  TEXT NOT NULL,
    locked      INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    platform_id TEXT
);

CREATE TABLE citizens (
    id            TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','muted','banned')),
    muted_until   TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    platform_id   TEXT
);

CREATE TABLE forum_posts (
    id            TEXT PRIMARY KEY,
    thread_id     TEXT NOT NULL REFERENCES forum_threads (id),
    author_id     TEXT NOT NULL REFERENCES citizens (id),
    body          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'visible' CHECK (status IN ('visible','hidden','removed')),
    flag_count    INTEGER NOT NULL DEFAULT 0 CHECK (flag_count >= 0),
    moderated_by  TEXT,
    moderated_at  TEXT,
    reason        TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    -- The moderation queue's order as one sortable text: most open flags
    -- first, then oldest (so keyset paging works as on any other list).
    queue_key     TEXT GENERATED ALWAYS AS (printf('%05d', 99999 - flag_count) || created_at) VIRTUAL,
    platform_id   TEXT,
    -- A watched word the hub found at ingest, and what it did (hold|flag|reject).
    watched_word    TEXT,
    watched_action  TEXT,
    search_key      INTEGER
);
CREATE INDEX forum_posts_by_created ON forum_posts (created_at, id);
CREATE INDEX forum_posts_by_status ON forum_posts (status, created_at, id);
-- the moderation queue: open flags first, then oldest
CREATE INDEX forum_posts_queue ON forum_posts (queue_key, id) WHERE flag_count > 0;
-- the dashboard's count and oldest of flagged posts, from the index alone
CREATE INDEX forum_posts_flagged ON forum_posts (status, created_at) WHERE flag_count > 0;
-- A thread's or an author's posts are few; they are sorted after the lookup.
CREATE INDEX forum_posts_by_thread ON forum_posts (thread_id);
CREATE INDEX forum_posts_by_author ON forum_posts (author_id);

CREATE TABLE forum_flags (
    id           TEXT PRIMARY KEY,
    post_id      TEXT NOT NULL REFERENCES forum_posts (id),
    reporter_id  TEXT NOT NULL,
    reason       TEXT NOT NULL
                 CHECK (reason IN ('spam','abuse','off_topic','personal_data','misinformation','other')),
    created_at   TEXT NOT NULL,
    resolved     INTEGER NOT NULL DEFAULT 0 CHECK (resolved IN (0, 1))
);
CREATE INDEX forum_flags_by_post ON forum_flags (post_id, resolved);
CREATE INDEX forum_flags_by_day ON forum_flags (created_at);

CREATE TABLE sms_contacts (
    id            TEXT PRIMARY KEY,
    phone_e164    TEXT NOT NULL UNIQUE CHECK (phone_e164 GLOB '+[1-9]*'),
    name          TEXT,
    region        TEXT,
    commune       TEXT,
    opted_out_at  TEXT,
    -- Version 6: the region and commune as a dynamic group finds them (the
    -- name in the list of communes, however typed; else folded:
    -- `places::stored_key`), kept by every write of region or commune, so
    -- a dynamic group finds its contacts through an index.
    region_key    TEXT,
    commune_key   TEXT
);

CREATE TABLE sms_groups (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    description  TEXT,
    org_id       TEXT REFERENCES organizations (id),
    -- Version 5: archived groups are kept for history, never sent to.
    archived_at  TEXT,
    -- Version 6: a dynamic group has a rule instead of members: the
    -- contacts of a region, a commune, the numbers of an organisation kind's
    -- contacts and leaders (every part given must match). Its members follow
    -- the contacts; sms_group_members holds none for it.
    rule_region    TEXT,
    rule_commune   TEXT,
    rule_org_kind  TEXT CHECK (rule_org_kind IS NULL OR rule_org_kind IN ('commune','region','osc'))
);

CREATE TABLE sms_group_members (
    group_id    TEXT NOT NULL REFERENCES sms_groups (id),
    contact_id  TEXT NOT NULL REFERENCES sms_contacts (id),
    PRIMARY KEY (group_id, contact_id)
) WITHOUT ROWID;
CREATE INDEX sms_group_members_by_contact ON sms_group_members (contact_id);

CREATE TABLE sms_messages (
    id               TEXT PRIMARY KEY,
    group_id         TEXT NOT NULL REFERENCES sms_groups (id),
    kind             TEXT NOT NULL CHECK (kind IN ('alert','notice')),
    body             TEXT NOT NULL,
    encoding         TEXT NOT NULL CHECK (encoding IN ('GSM-7','UCS-2')),
    segments         INTEGER NOT NULL CHECK (segments >= 1),
    recipients       INTEGER NOT NULL CHECK (recipients >= 0),
    scheduled_at     TEXT,
    status           TEXT NOT NULL DEFAULT 'draft'
                     CHECK (status IN ('draft','queued','approved','sending','sent','failed','cancelled')),
    created_by       TEXT NOT NULL,
    approved_by      TEXT,
    sent_count       INTEGER NOT NULL DEFAULT 0,
    delivered_count  INTEGER NOT NULL DEFAULT 0,
    failed_count     INTEGER NOT NULL DEFAULT 0,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL,
    -- Version 6: a resend to the numbers another message failed to reach.
    retry_of         TEXT REFERENCES sms_messages (id)
);
CREATE INDEX sms_messages_by_created ON sms_messages (created_at, id);
CREATE INDEX sms_messages_by_status ON sms_messages (status, created_at, id);

-- Append-only: the triggers below refuse any UPDATE or DELETE.
CREATE TABLE audit_log (
    id         TEXT PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    device     TEXT NOT NULL,
    action     TEXT NOT NULL,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    reason     TEXT,
    detail     TEXT NOT NULL   -- JSON {"before":…, "after":…}
);
CREATE INDEX audit_log_by_at ON audit_log (at, id);
CREATE INDEX audit_log_by_entity ON audit_log (entity, entity_id, at, id);
CREATE INDEX audit_log_by_actor ON audit_log (actor, at, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- Replica side of sync.
CREATE TABLE outbox (
    op_id       TEXT PRIMARY KEY,
    seq         INTEGER NOT NULL UNIQUE CHECK (seq >= 1),
    created_at  TEXT NOT NULL,
    op          TEXT NOT NULL,
    pushed_at   TEXT,
    outcome     TEXT CHECK (outcome IS NULL OR outcome IN ('applied','duplicate','conflict','rejected')),
    reason      TEXT,  -- the hub's reason, for a rejected op or a conflict
    answered_at TEXT,  -- the hub's clock when it answered (for knowing what its backups hold)
    batch       TEXT   -- the decisions taken together with it (undone together)
);
CREATE INDEX outbox_pending ON outbox (seq) WHERE pushed_at IS NULL;

-- Identity and sync bookkeeping: role (replica|hub), device_id, staff_id, cursors.
CREATE TABLE sync_state (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

CREATE TABLE conflicts (
    op_id        TEXT PRIMARY KEY,
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    mine         TEXT NOT NULL,
    theirs       TEXT NOT NULL,
    detected_at  TEXT NOT NULL,
    resolved_at  TEXT
);
CREATE INDEX conflicts_by_detected ON conflicts (detected_at, op_id);

-- Hub side of sync.
CREATE TABLE changes (
    seq        INTEGER PRIMARY KEY,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL
);
CREATE INDEX changes_by_entity ON changes (entity, entity_id);

CREATE TABLE applied_ops (
    op_id    TEXT PRIMARY KEY,
    device   TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    outcome  TEXT NOT NULL CHECK (outcome IN ('applied','duplicate','conflict','rejected')),
    received_at  TEXT   -- the hub's clock when the op arrived
);
-- Not unique: op_id is the key. A device's token used again on a fresh
-- replica (a lost laptop) starts its seq again, and must still push.
CREATE INDEX applied_ops_by_device ON applied_ops (device, seq);

CREATE TABLE devices (
    id            TEXT PRIMARY KEY,
    staff_id      TEXT NOT NULL REFERENCES staff (id),
    name          TEXT NOT NULL,
    token_sha256  TEXT NOT NULL UNIQUE,
    revoked_at    TEXT,
    -- Version 5: when it last pulled or pushed (to the minute).
    last_seen_at  TEXT
);

-- Tokens of the public platform (hub only): they may ingest, nothing else.
CREATE TABLE platform_tokens (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    token_sha256  TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    revoked_at    TEXT,
    -- The decision feed's position the platform read from last: it has
    -- applied everything up to there (its acknowledgement).
    acknowledged     INTEGER NOT NULL DEFAULT 0,
    acknowledged_at  TEXT
);

-- One row per (message, recipient), planned when sending starts. 'sending'
-- is written (and committed) before the gateway is called: after a crash such
-- a row is never sent again blindly; a delivery report settles it.
CREATE TABLE sms_deliveries (
    message_id   TEXT NOT NULL REFERENCES sms_messages (id),
    contact_id   TEXT NOT NULL REFERENCES sms_contacts (id),
    status       TEXT NOT NULL CHECK (status IN ('pending','sending','sent','delivered','failed')),
    gateway_ref  TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      TEXT,
    error        TEXT,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (message_id, contact_id)
);
CREATE INDEX sms_deliveries_by_status ON sms_deliveries (message_id, status, contact_id);

-- Hub only: numbers that said STOP, contact or not yet. Every contact added
-- or imported later with such a number starts opted out.
CREATE TABLE sms_suppressions (
    phone_e164  TEXT PRIMARY KEY,
    at          TEXT NOT NULL,
    reason      TEXT
);

-- begin: version 3 (a file made by an older civitac gets this part as it is)
-- Hub only: words the hub watches for in what the platform sends (posts and
-- thread titles). `word` is the normalised form (lower case, no accents, one
-- space between words); `shown` is how the team typed it.
CREATE TABLE watched_words (
    word        TEXT PRIMARY KEY,
    shown       TEXT NOT NULL,
    match       TEXT NOT NULL CHECK (match IN ('word','prefix','phrase')),
    action      TEXT NOT NULL CHECK (action IN ('hold','flag','reject')),
    created_at  TEXT NOT NULL
);

-- Posts a watched word acted on (few): `forum list --watched hold` pages on it.
CREATE INDEX forum_posts_watched ON forum_posts (created_at, id) WHERE watched_word IS NOT NULL;

-- Hub only: where the hub POSTs the decision feed. `position` is the feed
-- position delivered (acknowledged with a 2xx) so far; it survives restarts.
CREATE TABLE webhooks (
    id             TEXT PRIMARY KEY,
    url            TEXT NOT NULL,
    secret         TEXT NOT NULL,
    events         TEXT,            -- comma-separated kinds or 'post.*'; NULL: all
    created_at     TEXT NOT NULL,
    position       INTEGER NOT NULL DEFAULT 0 CHECK (position >= 0),
    delivered      INTEGER NOT NULL DEFAULT 0,
    attempts       INTEGER NOT NULL DEFAULT 0,  -- failed attempts at the waiting batch
    failing_since  TEXT,
    next_at        TEXT,
    last_error     TEXT,
    paused_at      TEXT,
    removed_at     TEXT
);

-- What the person a decision affects is told (synced: the console shows the
-- message before it goes out). Placeholders: {date} {reason} {until} {title} {name}.
CREATE TABLE notice_templates (
    kind        TEXT NOT NULL,
    lang        TEXT NOT NULL CHECK (lang IN ('fr','en')),
    body        TEXT NOT NULL,
    updated_at  TEXT,
    PRIMARY KEY (kind, lang)
);
INSERT INTO notice_templates (kind, lang, body) VALUES
    ('post.hidden', 'fr', 'Votre message du {date} a été masqué : {reason}.'),
    ('post.hidden', 'en', 'Your post of {date} was hidden: {reason}.'),
    ('post.removed', 'fr', 'Votre message du {date} a été retiré : {reason}.'),
    ('post.removed', 'en', 'Your post of {date} was removed: {reason}.'),
    ('post.restored', 'fr', 'Votre message du {date} est de nouveau visible.'),
    ('post.restored', 'en', 'Your post of {date} is visible again.'),
    ('citizen.muted', 'fr', 'Vous ne pourrez plus publier jusqu''au {until} : {reason}.'),
    ('citizen.muted', 'en', 'You cannot post until {until}: {reason}.'),
    ('citizen.banned', 'fr', 'Votre compte ne peut plus publier : {reason}.'),
    ('citizen.banned', 'en', 'Your account can no longer post: {reason}.'),
    ('citizen.reinstated', 'fr', 'Vous pouvez de nouveau publier.'),
    ('citizen.reinstated', 'en', 'You can post again.'),
    ('organization.enrolled', 'fr', 'Bienvenue : l''espace de {name} est ouvert sur Civitac.'),
    ('organization.enrolled', 'en', 'Welcome: the space of {name} is open on Civitac.'),
    ('organization.suspended', 'fr', 'L''espace de {name} est suspendu : {reason}.'),
    ('organization.suspended', 'en', 'The space of {name} is suspended: {reason}.'),
    ('organization.reinstated', 'fr', 'L''espace de {name} est de nouveau ouvert.'),
    ('organization.reinstated', 'en', 'The space of {name} is open again.'),
    ('organization.rejected', 'fr', 'La demande de {name} n''a pas été retenue : {reason}.'),
    ('organization.rejected', 'en', 'The application of {name} was not accepted: {reason}.'),
    ('upload.approved', 'fr', 'Votre document « {title} » est publié.'),
    ('upload.approved', 'en', 'Your document "{title}" is published.'),
    ('upload.rejected', 'fr', 'Votre document « {title} » n''a pas été accepté : {reason}.'),
    ('upload.rejected', 'en', 'Your document "{title}" was not accepted: {reason}.'),
    ('upload.changes_requested', 'fr', 'Votre document « {title} » est à corriger : {reason}.'),
    ('upload.changes_requested', 'en', 'Your document "{title}" needs changes: {reason}.');
-- end: version 3

-- begin: version 4
-- Enrolments by how long they have been in their stage (the stuck first).
CREATE INDEX organizations_by_updated ON organizations (updated_at, id);
-- end: version 4

-- begin: version 5
-- Staff by role for the console's staff view.
CREATE INDEX staff_by_name ON staff (display_name, id);
-- The citizens list, by name (and by status, then name).
CREATE INDEX citizens_by_name ON citizens (display_name, id);
CREATE INDEX citizens_by_status ON citizens (status, display_name, id);
-- Staff notes on a record (a post, a citizen, an organisation, an upload):
-- kept and synced between staff, never sent to the platform. Written by
-- ops only; `author` is the staff login.
CREATE TABLE notes (
    id          TEXT PRIMARY KEY,
    entity      TEXT NOT NULL CHECK (entity IN ('forum_post','citizen','organization','upload')),
    entity_id   TEXT NOT NULL,
    body        TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    author      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX notes_by_record ON notes (entity_id, created_at, id);
-- "Je m'en occupe": who took a record in hand, so colleagues on other
-- replicas leave it to them. `id` is the record's (ids are unique across
-- tables); `login` NULL once handed back.
CREATE TABLE claims (
    id          TEXT PRIMARY KEY,
    entity      TEXT NOT NULL CHECK (entity IN ('forum_post','citizen','organization','upload')),
    login       TEXT,
    claimed_at  TEXT NOT NULL
);
CREATE INDEX claims_by_login ON claims (login) WHERE login IS NOT NULL;
-- The leaders field staff met in an organisation (name, role, phone).
CREATE TABLE org_leaders (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    name         TEXT NOT NULL,
    role         TEXT,
    phone        TEXT CHECK (phone IS NULL OR phone GLOB '+[1-9]*'),
    recorded_by  TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX org_leaders_by_org ON org_leaders (org_id, created_at);
-- end: version 5

-- begin: version 6
-- The deliveries that failed for good, and why. The hub's sender writes
-- them (the triggers below follow sms_deliveries, so no path that fails or
-- un-fails a delivery can forget them) and they are synced: every console
-- shows the failed numbers, and a resend to them counts the same everywhere.
CREATE TABLE sms_failures (
    message_id  TEXT NOT NULL REFERENCES sms_messages (id),
    contact_id  TEXT NOT NULL REFERENCES sms_contacts (id),
    error       TEXT,
    failed_at   TEXT NOT NULL,
    PRIMARY KEY (message_id, contact_id)
) WITHOUT ROWID;

CREATE TRIGGER sms_delivery_failed AFTER UPDATE OF status ON sms_deliveries
WHEN NEW.status = 'failed' AND OLD.status IS NOT 'failed'
BEGIN
    INSERT INTO sms_failures (message_id, contact_id, error, failed_at)
    VALUES (NEW.message_id, NEW.contact_id, NEW.error, NEW.updated_at)
    ON CONFLICT DO UPDATE SET error = excluded.error, failed_at = excluded.failed_at;
    INSERT INTO changes (entity, entity_id) VALUES ('sms_failure', NEW.message_id || '/' || NEW.contact_id);
END;

CREATE TRIGGER sms_delivery_recovered AFTER UPDATE OF status ON sms_deliveries
WHEN OLD.status = 'failed' AND NEW.status IS NOT 'failed'
BEGIN
    DELETE FROM sms_failures WHERE message_id = NEW.message_id AND contact_id = NEW.contact_id;
    INSERT INTO changes (entity, entity_id) VALUES ('sms_failure', NEW.message_id || '/' || NEW.contact_id);
END;

-- A dynamic group by region or commune finds its contacts by their keys
-- (filled here for a file made before version 6).
UPDATE sms_contacts SET region_key = civitac_place('region', region),
    commune_key = civitac_place('commune', commune);
CREATE INDEX sms_contacts_by_region_key ON sms_contacts (region_key);
CREATE INDEX sms_contacts_by_commune_key ON sms_contacts (commune_key);

-- A dynamic group by organisation kind finds a contact's organisations by
-- the contact's number.
CREATE INDEX organizations_by_phone ON organizations (phone);
CREATE INDEX org_leaders_by_phone ON org_leaders (phone);

-- A hub that sent before version 6: its failures so far, for every replica.
INSERT INTO sms_failures (message_id, contact_id, error, failed_at)
SELECT message_id, contact_id, error, updated_at FROM sms_deliveries WHERE status = 'failed';
INSERT INTO changes (entity, entity_id)
SELECT 'sms_failure', message_id || '/' || contact_id FROM sms_failures;
-- end: version 6

-- begin: version 7
-- Full-text search whose row ids are the lists' own order. Every searchable
-- row carries a `search_key`: its time in milliseconds times 65,536, plus a
-- counter for rows of the same millisecond. The search indexes use that key
-- as their row id, so "the newest 50 posts with « budget »" is FTS5 walking
-- its own index in row-id order and stopping after 50 — no sorting of every
-- match (a common word matches a hundred thousand posts). The key is local
-- (each replica numbers its own rows; it is never synced) and set by the
-- triggers below, so every path that inserts a row gets one: ops, pulls,
-- ingest, the demo and `sqlite3`. julianday() rather than unixepoch(): an
-- older `sqlite3` shell must still be able to insert a row.
-- remove_diacritics lets "ecole" find "école", as staff type on keyboards
-- without accents.
-- While a replica takes a snapshot (its first fill, or a new one after a hub
-- restore) `sync_state.bulk_load` is set: the insert triggers that number
-- and count rows stand aside (a first fill is then three times faster), and
-- the snapshot's last page runs the "search keys" and "counts" sections
-- below in its own transaction (replica/pull.rs).
CREATE UNIQUE INDEX organizations_by_search_key ON organizations (search_key);
CREATE UNIQUE INDEX uploads_by_search_key ON uploads (search_key);
CREATE UNIQUE INDEX forum_posts_by_search_key ON forum_posts (search_key);

CREATE VIRTUAL TABLE organizations_fts USING fts5 (
    name, acronym, commune,
    content = 'organizations', content_rowid = 'search_key',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE forum_posts_fts USING fts5 (
    body,
    content = 'forum_posts', content_rowid = 'search_key',
    tokenize = 'unicode61 remove_diacritics 2'
);
-- An upload is found by its title, its file name and its organisation's
-- name, acronym and commune: the table keeps its own copy of the text (the
-- organisation's part is not a column of uploads).
CREATE VIRTUAL TABLE uploads_fts USING fts5 (
    title, filename, org,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- begin: search keys (also run by the demo after its bulk insert)
-- Organisations and uploads are numbered afresh (emptied first: a row's new
-- number may be another's old one). Only the posts without a number are
-- numbered, after the numbers already taken in their millisecond: the demo
-- writes its million posts with their keys, and a replica filled again
-- after a hub restore keeps the posts it had.
UPDATE organizations SET search_key = NULL WHERE search_key IS NOT NULL;
UPDATE uploads SET search_key = NULL WHERE search_key IS NOT NULL;
UPDATE organizations SET search_key = k.key FROM (
    SELECT rowid AS r, ms * 65536 + row_number() OVER (PARTITION BY ms ORDER BY id) - 1 AS key
    FROM (SELECT rowid, id,
                 max(0, min(140737488355327, coalesce(CAST(round((julianday(created_at) - 2440587.5) * 86400000) AS INTEGER), 0))) AS ms
          FROM organizations)
) k WHERE organizations.rowid = k.r;
UPDATE uploads SET search_key = k.key FROM (
    SELECT rowid AS r, ms * 65536 + row_number() OVER (PARTITION BY ms ORDER BY id) - 1 AS key
    FROM (SELECT rowid, id,
                 max(0, min(140737488355327, coalesce(CAST(round((julianday(submitted_at) - 2440587.5) * 86400000) AS INTEGER), 0))) AS ms
          FROM uploads)
) k WHERE uploads.rowid = k.r;
-- No post numbered yet (a first fill, a migration): no keys to count past.
UPDATE forum_posts SET search_key = k.key FROM (
    SELECT rowid AS r, ms * 65536 + row_number() OVER (PARTITION BY ms ORDER BY created_at, id) - 1 AS key
    FROM (SELECT rowid, id, created_at, max(0, min(140737488355327, coalesce(CAST(round((julianday(created_at) - 2440587.5) * 86400000) AS INTEGER), 0))) AS ms FROM forum_posts
          WHERE NOT EXISTS (SELECT 1 FROM forum_posts WHERE search_key IS NOT NULL))
) k WHERE forum_posts.rowid = k.r;
UPDATE forum_posts SET search_key = k.key FROM (
    SELECT r, coalesce((SELECT max(x.search_key) + 1 FROM forum_posts x
                        WHERE x.search_key BETWEEN ms * 65536 AND ms * 65536 + 65535), ms * 65536)
              + row_number() OVER (PARTITION BY ms ORDER BY created_at, id) - 1 AS key
    FROM (SELECT rowid AS r, id, created_at,
                 max(0, min(140737488355327, coalesce(CAST(round((julianday(created_at) - 2440587.5) * 86400000) AS INTEGER), 0))) AS ms
          FROM forum_posts WHERE search_key IS NULL)
) k WHERE forum_posts.rowid = k.r;
-- FTS5 keeps 1 MiB of terms in memory before it writes a segment; a
-- rebuild of a million posts then writes and merges hundreds of segments
-- (10.8 s). 64 MiB while the indexes are rebuilt takes 4.7 s; the setting
-- goes back after, so an ordinary transaction never holds more than 1 MiB.
INSERT INTO forum_posts_fts (forum_posts_fts, rank) VALUES ('hashsize', 67108864);
INSERT INTO uploads_fts (uploads_fts, rank) VALUES ('hashsize', 67108864);
INSERT INTO organizations_fts (organizations_fts) VALUES ('rebuild');
INSERT INTO forum_posts_fts (forum_posts_fts) VALUES ('rebuild');
DELETE FROM uploads_fts;
INSERT INTO uploads_fts (rowid, title, filename, org)
SELECT u.search_key, u.title, u.filename,
       o.name || ' ' || coalesce(o.acronym, '') || ' ' || coalesce(o.commune, '')
FROM uploads u LEFT JOIN organizations o ON o.id = u.org_id;
INSERT INTO forum_posts_fts (forum_posts_fts, rank) VALUES ('hashsize', 1048576);
INSERT INTO uploads_fts (uploads_fts, rank) VALUES ('hashsize', 1048576);
-- end: search keys

CREATE TRIGGER organizations_search_insert AFTER INSERT ON organizations
WHEN NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    -- The millisecond's rows leave the index, step aside (negative keys),
    -- and come back numbered in list order with the new one among them.
    INSERT INTO organizations_fts (organizations_fts, rowid, name, acronym, commune)
    SELECT 'delete', search_key, name, acronym, commune FROM organizations
    WHERE search_key BETWEEN max(0, min(140737488355327, coalesce(CAST(round((julianday(new.created_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 AND max(0, min(140737488355327, coalesce(CAST(round((julianday(new.created_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 + 65535;
    UPDATE organizations SET search_key = -1 - search_key
    WHERE search_key BETWEEN max(0, min(140737488355327, coalesce(CAST(round((julianday(new.created_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 AND max(0, min(140737488355327, coalesce(CAST(round((julianday(new.created_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 + 65535;
    UPDATE organizations SET search_key = k.key FROM (
        SELECT rowid AS r, max(0, min(140737488355327, coalesce(CAST(round((julianday(new.created_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 + row_number() OVER (ORDER BY created_at, id) - 1 AS key
        FROM organizations
        WHERE search_key BETWEEN -1 - (max(0, min(140737488355327, coalesce(CAST(round((julianday(new.created_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 + 65535) AND -1 - max(0, min(140737488355327, coalesce(CAST(round((julianday(new.created_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536
           OR rowid = new.rowid
    ) k WHERE organizations.rowid = k.r;
    INSERT INTO organizations_fts (rowid, name, acronym, commune)
    SELECT search_key, name, acronym, commune FROM organizations
    WHERE search_key BETWEEN max(0, min(140737488355327, coalesce(CAST(round((julianday(new.created_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 AND max(0, min(140737488355327, coalesce(CAST(round((julianday(new.created_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 + 65535;
END;
-- A row without a key yet (written during a snapshot) is in no index: the
-- snapshot's end indexes it as it is then.
CREATE TRIGGER organizations_search_delete AFTER DELETE ON organizations
WHEN old.search_key IS NOT NULL BEGIN
    INSERT INTO organizations_fts (organizations_fts, rowid, name, acronym, commune)
    VALUES ('delete', old.search_key, old.name, old.acronym, old.commune);
END;
-- Only when the text changed: a pulled row rewrites every column, and
-- re-indexing unchanged text would make each pull pay for the FTS again.
CREATE TRIGGER organizations_search_update AFTER UPDATE OF name, acronym, commune ON organizations
WHEN (old.name IS NOT new.name OR old.acronym IS NOT new.acronym OR old.commune IS NOT new.commune)
  AND old.search_key IS NOT NULL
BEGIN
    INSERT INTO organizations_fts (organizations_fts, rowid, name, acronym, commune)
    VALUES ('delete', old.search_key, old.name, old.acronym, old.commune);
    INSERT INTO organizations_fts (rowid, name, acronym, commune)
    VALUES (new.search_key, new.name, new.acronym, new.commune);
    UPDATE uploads_fts
    SET org = new.name || ' ' || coalesce(new.acronym, '') || ' ' || coalesce(new.commune, '')
    WHERE rowid IN (SELECT search_key FROM uploads WHERE org_id = new.id);
END;

CREATE TRIGGER uploads_search_insert AFTER INSERT ON uploads
WHEN NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    -- The millisecond's rows leave the index, step aside (negative keys),
    -- and come back numbered in list order with the new one among them.
    DELETE FROM uploads_fts WHERE rowid BETWEEN max(0, min(140737488355327, coalesce(CAST(round((julianday(new.submitted_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 AND max(0, min(140737488355327, coalesce(CAST(round((julianday(new.submitted_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 + 65535;
    UPDATE uploads SET search_key = -1 - search_key
    WHERE search_key BETWEEN max(0, min(140737488355327, coalesce(CAST(round((julianday(new.submitted_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 AND max(0, min(140737488355327, coalesce(CAST(round((julianday(new.submitted_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 + 65535;
    UPDATE uploads SET search_key = k.key FROM (
        SELECT rowid AS r, max(0, min(140737488355327, coalesce(CAST(round((julianday(new.submitted_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 + row_number() OVER (ORDER BY submitted_at, id) - 1 AS key
        FROM uploads
        WHERE search_key BETWEEN -1 - (max(0, min(140737488355327, coalesce(CAST(round((julianday(new.submitted_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 + 65535) AND -1 - max(0, min(140737488355327, coalesce(CAST(round((julianday(new.submitted_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536
           OR rowid = new.rowid
    ) k WHERE uploads.rowid = k.r;
    INSERT INTO uploads_fts (rowid, title, filename, org)
    SELECT u.search_key, u.title, u.filename,
           o.name || ' ' || coalesce(o.acronym, '') || ' ' || coalesce(o.commune, '')
    FROM uploads u LEFT JOIN organizations o ON o.id = u.org_id
    WHERE u.search_key BETWEEN max(0, min(140737488355327, coalesce(CAST(round((julianday(new.submitted_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 AND max(0, min(140737488355327, coalesce(CAST(round((julianday(new.submitted_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 + 65535;
END;
CREATE TRIGGER uploads_search_delete AFTER DELETE ON uploads
WHEN old.search_key IS NOT NULL BEGIN
    DELETE FROM uploads_fts WHERE rowid = old.search_key;
END;
CREATE TRIGGER uploads_search_update AFTER UPDATE OF title, filename, org_id ON uploads
WHEN (old.title IS NOT new.title OR old.filename IS NOT new.filename OR old.org_id IS NOT new.org_id)
  AND old.search_key IS NOT NULL
BEGIN
    DELETE FROM uploads_fts WHERE rowid = old.search_key;
    INSERT INTO uploads_fts (rowid, title, filename, org)
    SELECT u.search_key, u.title, u.filename,
           o.name || ' ' || coalesce(o.acronym, '') || ' ' || coalesce(o.commune, '')
    FROM uploads u LEFT JOIN organizations o ON o.id = u.org_id WHERE u.rowid = new.rowid;
END;

CREATE TRIGGER forum_posts_search_insert AFTER INSERT ON forum_posts
WHEN NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    -- The millisecond's rows leave the index, step aside (negative keys),
    -- and come back numbered in list order with the new one among them.
    INSERT INTO forum_posts_fts (forum_posts_fts, rowid, body)
    SELECT 'delete', search_key, body FROM forum_posts
    WHERE search_key BETWEEN max(0, min(140737488355327, coalesce(CAST(round((julianday(new.created_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 AND max(0, min(140737488355327, coalesce(CAST(round((julianday(new.created_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 + 65535;
    UPDATE forum_posts SET search_key = -1 - search_key
    WHERE search_key BETWEEN max(0, min(140737488355327, coalesce(CAST(round((julianday(new.created_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 AND max(0, min(140737488355327, coalesce(CAST(round((julianday(new.created_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 + 65535;
    UPDATE forum_posts SET search_key = k.key FROM (
        SELECT rowid AS r, max(0, min(140737488355327, coalesce(CAST(round((julianday(new.created_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 + row_number() OVER (ORDER BY created_at, id) - 1 AS key
        FROM forum_posts
        WHERE search_key BETWEEN -1 - (max(0, min(140737488355327, coalesce(CAST(round((julianday(new.created_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 + 65535) AND -1 - max(0, min(140737488355327, coalesce(CAST(round((julianday(new.created_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536
           OR rowid = new.rowid
    ) k WHERE forum_posts.rowid = k.r;
    INSERT INTO forum_posts_fts (rowid, body)
    SELECT search_key, body FROM forum_posts
    WHERE search_key BETWEEN max(0, min(140737488355327, coalesce(CAST(round((julianday(new.created_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 AND max(0, min(140737488355327, coalesce(CAST(round((julianday(new.created_at) - 2440587.5) * 86400000) AS INTEGER), 0))) * 65536 + 65535;
END;
CREATE TRIGGER forum_posts_search_delete AFTER DELETE ON forum_posts
WHEN old.search_key IS NOT NULL BEGIN
    INSERT INTO forum_posts_fts (forum_posts_fts, rowid, body) VALUES ('delete', old.search_key, old.body);
END;
CREATE TRIGGER forum_posts_search_update AFTER UPDATE OF body ON forum_posts
WHEN old.body IS NOT new.body AND old.search_key IS NOT NULL
BEGIN
    INSERT INTO forum_posts_fts (forum_posts_fts, rowid, body) VALUES ('delete', old.search_key, old.body);
    INSERT INTO forum_posts_fts (rowid, body) VALUES (new.search_key, new.body);
END;
-- Counters for the dashboard, the status bar and the pipeline, kept by
-- triggers in the same transaction as the change that moves them: a visit
-- reads a few rows instead of counting a million. A trigger fires for every
-- path that writes (ops, pulls, ingest, undo, `sqlite3`); the WHEN clauses
-- skip the rewrites of unchanged values that each pull does.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    n     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE org_stage_counts (
    region  TEXT NOT NULL,
    status  TEXT NOT NULL,
    n       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (region, status)
) WITHOUT ROWID;
CREATE TABLE flag_day_counts (
    day  TEXT PRIMARY KEY,
    n    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
-- The oldest post each queue holds is read from an index, like the others.
CREATE INDEX forum_posts_held ON forum_posts (created_at)
    WHERE status = 'hidden' AND moderated_by = 'system';

-- begin: counts (every counter from a full count; also run by the demo)
DELETE FROM counters;
INSERT INTO counters (name, n)
SELECT 'uploads_pending', count(*) FROM uploads WHERE status = 'pending'
UNION ALL SELECT 'posts_flagged', count(*) FROM forum_posts WHERE flag_count > 0 AND status = 'visible'
UNION ALL SELECT 'posts_held', count(*) FROM forum_posts WHERE status = 'hidden' AND moderated_by = 'system'
UNION ALL SELECT 'sms_queued', count(*) FROM sms_messages WHERE status = 'queued'
UNION ALL SELECT 'outbox_pending', count(*) FROM outbox WHERE pushed_at IS NULL
UNION ALL SELECT 'conflicts_open', count(*) FROM conflicts WHERE resolved_at IS NULL;
DELETE FROM org_stage_counts;
INSERT INTO org_stage_counts (region, status, n)
SELECT region, status, count(*) FROM organizations GROUP BY region, status;
DELETE FROM flag_day_counts;
INSERT INTO flag_day_counts (day, n)
SELECT substr(created_at, 1, 10), count(*) FROM forum_flags GROUP BY 1;
-- end: counts

CREATE TRIGGER uploads_count_insert AFTER INSERT ON uploads
WHEN new.status = 'pending' AND NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    UPDATE counters SET n = n + 1 WHERE name = 'uploads_pending';
END;
CREATE TRIGGER uploads_count_delete AFTER DELETE ON uploads WHEN (old.status = 'pending')
  AND NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    UPDATE counters SET n = n - 1 WHERE name = 'uploads_pending';
END;
CREATE TRIGGER uploads_count_update AFTER UPDATE OF status ON uploads
WHEN ((old.status = 'pending') IS NOT (new.status = 'pending'))
  AND NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    UPDATE counters SET n = n + (new.status = 'pending') - (old.status = 'pending')
    WHERE name = 'uploads_pending';
END;

CREATE TRIGGER forum_posts_count_insert AFTER INSERT ON forum_posts
WHEN ((new.flag_count > 0 AND new.status = 'visible')
      OR (new.status = 'hidden' AND new.moderated_by IS 'system'))
  AND NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    UPDATE counters SET n = n + 1 WHERE name = 'posts_flagged' AND new.flag_count > 0 AND new.status = 'visible';
    UPDATE counters SET n = n + 1 WHERE name = 'posts_held' AND new.status = 'hidden' AND new.moderated_by IS 'system';
END;
CREATE TRIGGER forum_posts_count_delete AFTER DELETE ON forum_posts
WHEN ((old.flag_count > 0 AND old.status = 'visible')
  OR (old.status = 'hidden' AND old.moderated_by IS 'system'))
  AND NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    UPDATE counters SET n = n - 1 WHERE name = 'posts_flagged' AND old.flag_count > 0 AND old.status = 'visible';
    UPDATE counters SET n = n - 1 WHERE name = 'posts_held' AND old.status = 'hidden' AND old.moderated_by IS 'system';
END;
CREATE TRIGGER forum_posts_count_update AFTER UPDATE OF flag_count, status, moderated_by ON forum_posts
WHEN ((old.flag_count > 0 AND old.status = 'visible') IS NOT (new.flag_count > 0 AND new.status = 'visible')
  OR (old.status = 'hidden' AND old.moderated_by IS 'system') IS NOT (new.status = 'hidden' AND new.moderated_by IS 'system'))
  AND NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    UPDATE counters
    SET n = n + (new.flag_count > 0 AND new.status = 'visible') - (old.flag_count > 0 AND old.status = 'visible')
    WHERE name = 'posts_flagged';
    UPDATE counters
    SET n = n + (new.status = 'hidden' AND new.moderated_by IS 'system') - (old.status = 'hidden' AND old.moderated_by IS 'system')
    WHERE name = 'posts_held';
END;

CREATE TRIGGER sms_messages_count_insert AFTER INSERT ON sms_messages
WHEN new.status = 'queued' AND NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    UPDATE counters SET n = n + 1 WHERE name = 'sms_queued';
END;
CREATE TRIGGER sms_messages_count_delete AFTER DELETE ON sms_messages WHEN (old.status = 'queued')
  AND NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    UPDATE counters SET n = n - 1 WHERE name = 'sms_queued';
END;
CREATE TRIGGER sms_messages_count_update AFTER UPDATE OF status ON sms_messages
WHEN ((old.status = 'queued') IS NOT (new.status = 'queued'))
  AND NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    UPDATE counters SET n = n + (new.status = 'queued') - (old.status = 'queued') WHERE name = 'sms_queued';
END;

CREATE TRIGGER outbox_count_insert AFTER INSERT ON outbox WHEN new.pushed_at IS NULL BEGIN
    UPDATE counters SET n = n + 1 WHERE name = 'outbox_pending';
END;
CREATE TRIGGER outbox_count_delete AFTER DELETE ON outbox WHEN old.pushed_at IS NULL BEGIN
    UPDATE counters SET n = n - 1 WHERE name = 'outbox_pending';
END;
CREATE TRIGGER outbox_count_update AFTER UPDATE OF pushed_at ON outbox
WHEN (old.pushed_at IS NULL) IS NOT (new.pushed_at IS NULL) BEGIN
    UPDATE counters SET n = n + (new.pushed_at IS NULL) - (old.pushed_at IS NULL) WHERE name = 'outbox_pending';
END;

CREATE TRIGGER conflicts_count_insert AFTER INSERT ON conflicts WHEN new.resolved_at IS NULL BEGIN
    UPDATE counters SET n = n + 1 WHERE name = 'conflicts_open';
END;
CREATE TRIGGER conflicts_count_delete AFTER DELETE ON conflicts WHEN old.resolved_at IS NULL BEGIN
    UPDATE counters SET n = n - 1 WHERE name = 'conflicts_open';
END;
CREATE TRIGGER conflicts_count_update AFTER UPDATE OF resolved_at ON conflicts
WHEN (old.resolved_at IS NULL) IS NOT (new.resolved_at IS NULL) BEGIN
    UPDATE counters SET n = n + (new.resolved_at IS NULL) - (old.resolved_at IS NULL) WHERE name = 'conflicts_open';
END;

CREATE TRIGGER organizations_count_insert AFTER INSERT ON organizations
WHEN NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    INSERT INTO org_stage_counts (region, status, n) VALUES (new.region, new.status, 1)
    ON CONFLICT (region, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER organizations_count_delete AFTER DELETE ON organizations
WHEN NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    UPDATE org_stage_counts SET n = n - 1 WHERE region = old.region AND status = old.status;
END;
CREATE TRIGGER organizations_count_update AFTER UPDATE OF region, status ON organizations
WHEN (old.region IS NOT new.region OR old.status IS NOT new.status)
  AND NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    UPDATE org_stage_counts SET n = n - 1 WHERE region = old.region AND status = old.status;
    INSERT INTO org_stage_counts (region, status, n) VALUES (new.region, new.status, 1)
    ON CONFLICT (region, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER forum_flags_count_insert AFTER INSERT ON forum_flags
WHEN NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    INSERT INTO flag_day_counts (day, n) VALUES (substr(new.created_at, 1, 10), 1)
    ON CONFLICT (day) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER forum_flags_count_delete AFTER DELETE ON forum_flags
WHEN NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    UPDATE flag_day_counts SET n = n - 1 WHERE day = substr(old.created_at, 1, 10);
END;
CREATE TRIGGER forum_flags_count_update AFTER UPDATE OF created_at ON forum_flags
WHEN (substr(old.created_at, 1, 10) IS NOT substr(new.created_at, 1, 10))
  AND NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    UPDATE flag_day_counts SET n = n - 1 WHERE day = substr(old.created_at, 1, 10);
    INSERT INTO flag_day_counts (day, n) VALUES (substr(new.created_at, 1, 10), 1)
    ON CONFLICT (day) DO UPDATE SET n = n + 1;
END;
-- end: version 7

-- begin: version 8
-- Whom a group of members reaches (its members who did not opt out), kept
-- by triggers like the counters above: queueing and approving a message, and
-- the composer's list of groups, read one row instead of joining tens of
-- thousands of members to their contacts (18 ms a count at the demo's
-- scale 50). A dynamic group is counted from its rule, as before. Each side
-- counts its own rows; never synced. A contact deleted before its members
-- (foreign keys off) takes itself out of its groups' counts; its members
-- deleted after count for nothing, as they reach no one.
CREATE TABLE sms_group_reach (
    group_id  TEXT PRIMARY KEY,
    n         INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- begin: reach counts (every group's reach from a full count)
DELETE FROM sms_group_reach;
INSERT INTO sms_group_reach (group_id, n)
SELECT gm.group_id, count(*) FROM sms_group_members gm
JOIN sms_contacts c ON c.id = gm.contact_id
WHERE c.opted_out_at IS NULL GROUP BY gm.group_id;
-- end: reach counts

CREATE TRIGGER sms_group_members_reach_insert AFTER INSERT ON sms_group_members
WHEN EXISTS (SELECT 1 FROM sms_contacts WHERE id = new.contact_id AND opted_out_at IS NULL)
  AND NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    INSERT INTO sms_group_reach (group_id, n) VALUES (new.group_id, 1)
    ON CONFLICT (group_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER sms_group_members_reach_delete AFTER DELETE ON sms_group_members
WHEN EXISTS (SELECT 1 FROM sms_contacts WHERE id = old.contact_id AND opted_out_at IS NULL)
  AND NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    UPDATE sms_group_reach SET n = n - 1 WHERE group_id = old.group_id;
END;
CREATE TRIGGER sms_group_members_reach_update AFTER UPDATE OF group_id, contact_id ON sms_group_members
WHEN (old.group_id IS NOT new.group_id OR old.contact_id IS NOT new.contact_id)
  AND NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    UPDATE sms_group_reach SET n = n - 1 WHERE group_id = old.group_id
      AND EXISTS (SELECT 1 FROM sms_contacts WHERE id = old.contact_id AND opted_out_at IS NULL);
    INSERT INTO sms_group_reach (group_id, n)
    SELECT new.group_id, 1 FROM sms_contacts WHERE id = new.contact_id AND opted_out_at IS NULL
    ON CONFLICT (group_id) DO UPDATE SET n = n + 1;
END;
-- A contact's groups are found through sms_group_members_by_contact.
CREATE TRIGGER sms_contacts_reach_insert AFTER INSERT ON sms_contacts
WHEN new.opted_out_at IS NULL AND NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    INSERT INTO sms_group_reach (group_id, n)
    SELECT group_id, 1 FROM sms_group_members WHERE contact_id = new.id
    ON CONFLICT (group_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER sms_contacts_reach_delete AFTER DELETE ON sms_contacts
WHEN old.opted_out_at IS NULL AND NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    UPDATE sms_group_reach SET n = n - 1
    WHERE group_id IN (SELECT group_id FROM sms_group_members WHERE contact_id = old.id);
END;
CREATE TRIGGER sms_contacts_reach_update AFTER UPDATE OF id, opted_out_at ON sms_contacts
WHEN (old.id IS NOT new.id OR (old.opted_out_at IS NULL) IS NOT (new.opted_out_at IS NULL))
  AND NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') BEGIN
    UPDATE sms_group_reach SET n = n - 1
    WHERE old.opted_out_at IS NULL
      AND group_id IN (SELECT group_id FROM sms_group_members WHERE contact_id = old.id);
    INSERT INTO sms_group_reach (group_id, n)
    SELECT group_id, 1 FROM sms_group_members WHERE contact_id = new.id AND new.opted_out_at IS NULL
    ON CONFLICT (group_id) DO UPDATE SET n = n + 1;
END;
-- end: version 8

-- begin: version 9
-- The search keys of the moderation queue (posts with flags) and of the
-- held posts, each a few percent of the forum. A search in either walks the
-- words' matches newest first and looks each one up here (query.rs,
-- `SearchIndex::narrow`) instead of reading its post: "for*" in the queue
-- took 40 ms on a million posts, where a page needs a hundred of its rows.
CREATE INDEX forum_posts_queue_search ON forum_posts (search_key) WHERE flag_count > 0;
CREATE INDEX forum_posts_held_search ON forum_posts (search_key)
    WHERE status = 'hidden' AND moderated_by = 'system';
-- end: version 9
