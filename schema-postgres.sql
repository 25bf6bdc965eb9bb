-- civitac schema for a PostgreSQL (15+) hub, version 9: the translation of
-- schema.sql, kept beside it and changed with it (same tables, columns in the
-- same order, keys, CHECK lists, index and trigger names; tests/schema.rs-style
-- checks compare the two). It omits what only a replica's search uses: the
-- FTS5 tables, the "search keys" section and the *_search_* triggers that
-- number `search_key` and feed FTS (the hub never searches, so its
-- `search_key` columns stay NULL); it also omits the version-6 backfill that
-- calls civitac_place(), a function the Rust code registers in SQLite only.
-- PRAGMA user_version becomes the one-row table schema_version. Load it into a
-- new, empty database created with ENCODING 'UTF8' and LC_COLLATE/LC_CTYPE 'C'
-- (createdb -T template0 -E UTF8 --locale=C): text then sorts and compares
-- byte-wise and lower() folds ASCII only, as in SQLite; the first statement
-- refuses any other database. No BEGIN/COMMIT here: run it in one transaction
-- (psql -1, or the caller's own).
--
-- The `-- begin: ...` / `-- end: ...` markers are those of schema.sql.
-- Types: INTEGER -> BIGINT (0/1 flags included, with their CHECK), REAL ->
-- DOUBLE PRECISION; timestamps stay RFC 3339 TEXT. Triggers are plpgsql
-- functions; a trigger's WHEN cannot hold a subquery in PostgreSQL, so the
-- `bulk_load` test of the SQLite WHEN clauses is the function's first line.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_database
                   WHERE datname = current_database()
                     AND pg_encoding_to_char(encoding) = 'UTF8'
                     AND datlocprovider = 'c'
                     AND datcollate IN ('C', 'POSIX')
                     AND datctype IN ('C', 'POSIX')) THEN
        RAISE EXCEPTION 'civitac needs a UTF8 database with the C locale (createdb -T template0 -E UTF8 --locale=C)';
    END IF;
END $$;

-- SQLite's NOCASE, which the queries name (`name = ?1 COLLATE NOCASE` reads
-- as `COLLATE nocase` here). Differences: SQLite folds ASCII letters only,
-- this folds every script's case ('É' = 'é') and compares canonically
-- equivalent strings as equal; PostgreSQL 15 refuses LIKE on a
-- nondeterministic collation (no column uses it, so only a query that asks).
CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);

CREATE TABLE staff (
    id            TEXT PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin','moderator','field_agent')),
    active        BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
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
    version            BIGINT NOT NULL DEFAULT 1,
    name_key           TEXT NOT NULL DEFAULT '',
    platform_id        TEXT,
    search_key         BIGINT
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
    size_bytes    BIGINT NOT NULL CHECK (size_bytes >= 0),
    sha256        TEXT NOT NULL,
    submitted_at  TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending','approved','rejected','changes_requested')),
    reviewed_by   TEXT,
    reviewed_at   TEXT,
    reason        TEXT,
    version       BIGINT NOT NULL DEFAULT 1,
    platform_id   TEXT,
    search_key    BIGINT
);
CREATE INDEX uploads_by_submitted ON uploads (submitted_at, id);
CREATE INDEX uploads_by_status ON uploads (status, submitted_at, id);
CREATE INDEX uploads_by_org ON uploads (org_id, submitted_at, id);

CREATE TABLE upload_stats (
    upload_id  TEXT NOT NULL REFERENCES uploads (id),
    indicator  TEXT NOT NULL,
    year       BIGINT NOT NULL,
    value      DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (upload_id, indicator, year)
);

CREATE TABLE forum_threads (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    category    TEXT NOT NULL,
    org_id      TEXT REFERENCES organizations (id),
    created_at  TEXT NOT NULL,
    locked      BIGINT NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    platform_id TEXT
);

CREATE TABLE citizens (
    id            TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','muted','banned')),
    muted_until   TEXT,
    version       BIGINT NOT NULL DEFAULT 1,
    platform_id   TEXT
);

CREATE TABLE forum_posts (
    id            TEXT PRIMARY KEY,
    thread_id     TEXT NOT NULL REFERENCES forum_threads (id),
    author_id     TEXT NOT NULL REFERENCES citizens (id),
    body          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'visible' CHECK (status IN ('visible','hidden','removed')),
    flag_count    BIGINT NOT NULL DEFAULT 0 CHECK (flag_count >= 0),
    moderated_by  TEXT,
    moderated_at  TEXT,
    reason        TEXT,
    version       BIGINT NOT NULL DEFAULT 1,
    -- printf('%05d', 99999 - flag_count) || created_at, stored rather than
    -- virtual; the same text for every flag_count (a count above 99,999
    -- gives '-0001' and so on, as printf does).
    queue_key     TEXT GENERATED ALWAYS AS (
                      CASE WHEN flag_count <= 99999
                           THEN lpad((99999 - flag_count)::text, 5, '0')
                           ELSE '-' || lpad((flag_count - 99999)::text,
                                            greatest(4, length((flag_count - 99999)::text)), '0')
                      END || created_at) STORED,
    platform_id   TEXT,
    watched_word    TEXT,
    watched_action  TEXT,
    search_key      BIGINT
);
CREATE INDEX forum_posts_by_created ON forum_posts (created_at, id);
CREATE INDEX forum_posts_by_status ON forum_posts (status, created_at, id);
CREATE INDEX forum_posts_queue ON forum_posts (queue_key, id) WHERE flag_count > 0;
CREATE INDEX forum_posts_flagged ON forum_posts (status, created_at) WHERE flag_count > 0;
CREATE INDEX forum_posts_by_thread ON forum_posts (thread_id);
CREATE INDEX forum_posts_by_author ON forum_posts (author_id);

CREATE TABLE forum_flags (
    id           TEXT PRIMARY KEY,
    post_id      TEXT NOT NULL REFERENCES forum_posts (id),
    reporter_id  TEXT NOT NULL,
    reason       TEXT NOT NULL
                 CHECK (reason IN ('spam','abuse','off_topic','personal_data','misinformation','other')),
    created_at   TEXT NOT NULL,
    resolved     BIGINT NOT NULL DEFAULT 0 CHECK (resolved IN (0, 1))
);
CREATE INDEX forum_flags_by_post ON forum_flags (post_id, resolved);
CREATE INDEX forum_flags_by_day ON forum_flags (created_at);

-- GLOB '+[1-9]*' is the regular expression '^[+][1-9]' (case and collation
-- play no part in either).
CREATE TABLE sms_contacts (
    id            TEXT PRIMARY KEY,
    phone_e164    TEXT NOT NULL UNIQUE CHECK (phone_e164 ~ '^[+][1-9]'),
    name          TEXT,
    region        TEXT,
    commune       TEXT,
    opted_out_at  TEXT,
    region_key    TEXT,
    commune_key   TEXT
);

CREATE TABLE sms_groups (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    description  TEXT,
    org_id       TEXT REFERENCES organizations (id),
    archived_at  TEXT,
    rule_region    TEXT,
    rule_commune   TEXT,
    rule_org_kind  TEXT CHECK (rule_org_kind IS NULL OR rule_org_kind IN ('commune','region','osc'))
);

CREATE TABLE sms_group_members (
    group_id    TEXT NOT NULL REFERENCES sms_groups (id),
    contact_id  TEXT NOT NULL REFERENCES sms_contacts (id),
    PRIMARY KEY (group_id, contact_id)
);
CREATE INDEX sms_group_members_by_contact ON sms_group_members (contact_id);

CREATE TABLE sms_messages (
    id               TEXT PRIMARY KEY,
    group_id         TEXT NOT NULL REFERENCES sms_groups (id),
    kind             TEXT NOT NULL CHECK (kind IN ('alert','notice')),
    body             TEXT NOT NULL,
    encoding         TEXT NOT NULL CHECK (encoding IN ('GSM-7','UCS-2')),
    segments         BIGINT NOT NULL CHECK (segments >= 1),
    recipients       BIGINT NOT NULL CHECK (recipients >= 0),
    scheduled_at     TEXT,
    status           TEXT NOT NULL DEFAULT 'draft'
                     CHECK (status IN ('draft','queued','approved','sending','sent','failed','cancelled')),
    created_by       TEXT NOT NULL,
    approved_by      TEXT,
    sent_count       BIGINT NOT NULL DEFAULT 0,
    delivered_count  BIGINT NOT NULL DEFAULT 0,
    failed_count     BIGINT NOT NULL DEFAULT 0,
    version          BIGINT NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL,
    retry_of         TEXT REFERENCES sms_messages (id)
);
CREATE INDEX sms_messages_by_created ON sms_messages (created_at, id);
CREATE INDEX sms_messages_by_status ON sms_messages (status, created_at, id);

-- Append-only: the triggers below refuse any UPDATE or DELETE (and TRUNCATE,
-- which SQLite has not and which fires no row trigger here).
CREATE TABLE audit_log (
    id         TEXT PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    device     TEXT NOT NULL,
    action     TEXT NOT NULL,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    reason     TEXT,
    detail     TEXT NOT NULL,  -- JSON {"before":…, "after":…}
    -- SQLite's implicit rowid, made explicit: the decision feed's cursor
    -- (the order entries were appended in). Never sent to replicas.
    rowid      BIGINT GENERATED BY DEFAULT AS IDENTITY UNIQUE
);
CREATE INDEX audit_log_by_at ON audit_log (at, id);
CREATE INDEX audit_log_by_entity ON audit_log (entity, entity_id, at, id);
CREATE INDEX audit_log_by_actor ON audit_log (actor, at, id);
-- SQLSTATE 23000 (integrity_constraint_violation), as SQLite's RAISE(ABORT)
-- is a constraint error.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Replica side of sync.
CREATE TABLE outbox (
    op_id       TEXT PRIMARY KEY,
    seq         BIGINT NOT NULL UNIQUE CHECK (seq >= 1),
    created_at  TEXT NOT NULL,
    op          TEXT NOT NULL,
    pushed_at   TEXT,
    outcome     TEXT CHECK (outcome IS NULL OR outcome IN ('applied','duplicate','conflict','rejected')),
    reason      TEXT,
    answered_at TEXT,
    batch       TEXT
);
CREATE INDEX outbox_pending ON outbox (seq) WHERE pushed_at IS NULL;

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

-- Hub side of sync. SQLite's rowid gives max(seq) + 1; an identity never
-- reuses a number, and a copy that writes seq itself must then setval() its
-- sequence. Numbers are taken at insert, not commit: with writers in
-- parallel a reader of `seq > cursor` can see 11 before 10 commits.
CREATE TABLE changes (
    seq        BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL
);
CREATE INDEX changes_by_entity ON changes (entity, entity_id);

CREATE TABLE applied_ops (
    op_id    TEXT PRIMARY KEY,
    device   TEXT NOT NULL,
    seq      BIGINT NOT NULL,
    outcome  TEXT NOT NULL CHECK (outcome IN ('applied','duplicate','conflict','rejected')),
    received_at  TEXT
);
CREATE INDEX applied_ops_by_device ON applied_ops (device, seq);

CREATE TABLE devices (
    id            TEXT PRIMARY KEY,
    staff_id      TEXT NOT NULL REFERENCES staff (id),
    name          TEXT NOT NULL,
    token_sha256  TEXT NOT NULL UNIQUE,
    revoked_at    TEXT,
    last_seen_at  TEXT
);

CREATE TABLE platform_tokens (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    token_sha256  TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    revoked_at    TEXT,
    acknowledged     BIGINT NOT NULL DEFAULT 0,
    acknowledged_at  TEXT
);

CREATE TABLE sms_deliveries (
    message_id   TEXT NOT NULL REFERENCES sms_messages (id),
    contact_id   TEXT NOT NULL REFERENCES sms_contacts (id),
    status       TEXT NOT NULL CHECK (status IN ('pending','sending','sent','delivered','failed')),
    gateway_ref  TEXT,
    attempts     BIGINT NOT NULL DEFAULT 0,
    next_at      TEXT,
    error        TEXT,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (message_id, contact_id)
);
CREATE INDEX sms_deliveries_by_status ON sms_deliveries (message_id, status, contact_id);

CREATE TABLE sms_suppressions (
    phone_e164  TEXT PRIMARY KEY,
    at          TEXT NOT NULL,
    reason      TEXT
);

-- begin: version 3 (a file made by an older civitac gets this part as it is)
CREATE TABLE watched_words (
    word        TEXT PRIMARY KEY,
    shown       TEXT NOT NULL,
    match       TEXT NOT NULL CHECK (match IN ('word','prefix','phrase')),
    action      TEXT NOT NULL CHECK (action IN ('hold','flag','reject')),
    created_at  TEXT NOT NULL
);

CREATE INDEX forum_posts_watched ON forum_posts (created_at, id) WHERE watched_word IS NOT NULL;

CREATE TABLE webhooks (
    id             TEXT PRIMARY KEY,
    url            TEXT NOT NULL,
    secret         TEXT NOT NULL,
    events         TEXT,
    created_at     TEXT NOT NULL,
    position       BIGINT NOT NULL DEFAULT 0 CHECK (position >= 0),
    delivered      BIGINT NOT NULL DEFAULT 0,
    attempts       BIGINT NOT NULL DEFAULT 0,
    failing_since  TEXT,
    next_at        TEXT,
    last_error     TEXT,
    paused_at      TEXT,
    removed_at     TEXT
);

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
CREATE INDEX organizations_by_updated ON organizations (updated_at, id);
-- end: version 4

-- begin: version 5
CREATE INDEX staff_by_name ON staff (display_name, id);
CREATE INDEX citizens_by_name ON citizens (display_name, id);
CREATE INDEX citizens_by_status ON citizens (status, display_name, id);
CREATE TABLE notes (
    id          TEXT PRIMARY KEY,
    entity      TEXT NOT NULL CHECK (entity IN ('forum_post','citizen','organization','upload')),
    entity_id   TEXT NOT NULL,
    body        TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    author      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX notes_by_record ON notes (entity_id, created_at, id);
CREATE TABLE claims (
    id          TEXT PRIMARY KEY,
    entity      TEXT NOT NULL CHECK (entity IN ('forum_post','citizen','organization','upload')),
    login       TEXT,
    claimed_at  TEXT NOT NULL
);
CREATE INDEX claims_by_login ON claims (login) WHERE login IS NOT NULL;
CREATE TABLE org_leaders (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    name         TEXT NOT NULL,
    role         TEXT,
    phone        TEXT CHECK (phone IS NULL OR phone ~ '^[+][1-9]'),
    recorded_by  TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX org_leaders_by_org ON org_leaders (org_id, created_at);
-- end: version 5

-- begin: version 6
CREATE TABLE sms_failures (
    message_id  TEXT NOT NULL REFERENCES sms_messages (id),
    contact_id  TEXT NOT NULL REFERENCES sms_contacts (id),
    error       TEXT,
    failed_at   TEXT NOT NULL,
    PRIMARY KEY (message_id, contact_id)
);

CREATE FUNCTION sms_delivery_failed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sms_failures (message_id, contact_id, error, failed_at)
    VALUES (NEW.message_id, NEW.contact_id, NEW.error, NEW.updated_at)
    ON CONFLICT (message_id, contact_id)
    DO UPDATE SET error = EXCLUDED.error, failed_at = EXCLUDED.failed_at;
    INSERT INTO changes (entity, entity_id) VALUES ('sms_failure', NEW.message_id || '/' || NEW.contact_id);
    RETURN NULL;
END $$;
CREATE TRIGGER sms_delivery_failed AFTER UPDATE OF status ON sms_deliveries
    FOR EACH ROW WHEN (NEW.status = 'failed' AND OLD.status IS DISTINCT FROM 'failed')
    EXECUTE FUNCTION sms_delivery_failed();

CREATE FUNCTION sms_delivery_recovered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM sms_failures WHERE message_id = NEW.message_id AND contact_id = NEW.contact_id;
    INSERT INTO changes (entity, entity_id) VALUES ('sms_failure', NEW.message_id || '/' || NEW.contact_id);
    RETURN NULL;
END $$;
CREATE TRIGGER sms_delivery_recovered AFTER UPDATE OF status ON sms_deliveries
    FOR EACH ROW WHEN (OLD.status = 'failed' AND NEW.status IS DISTINCT FROM 'failed')
    EXECUTE FUNCTION sms_delivery_recovered();

-- schema.sql fills region_key and commune_key here with civitac_place() for
-- a file made before version 6; a new database has no contacts to fill.
CREATE INDEX sms_contacts_by_region_key ON sms_contacts (region_key);
CREATE INDEX sms_contacts_by_commune_key ON sms_contacts (commune_key);

CREATE INDEX organizations_by_phone ON organizations (phone);
CREATE INDEX org_leaders_by_phone ON org_leaders (phone);

INSERT INTO sms_failures (message_id, contact_id, error, failed_at)
SELECT message_id, contact_id, error, updated_at FROM sms_deliveries WHERE status = 'failed';
INSERT INTO changes (entity, entity_id)
SELECT 'sms_failure', message_id || '/' || contact_id FROM sms_failures;
-- end: version 6

-- begin: version 7
-- The search keys' unique indexes are kept (NULLs never collide, in either
-- database); the FTS tables, the "search keys" section and the *_search_*
-- triggers are not here (see the top).
CREATE UNIQUE INDEX organizations_by_search_key ON organizations (search_key);
CREATE UNIQUE INDEX uploads_by_search_key ON uploads (search_key);
CREATE UNIQUE INDEX forum_posts_by_search_key ON forum_posts (search_key);

-- Counters for the dashboard, the status bar and the pipeline, kept by
-- triggers in the same transaction as the change that moves them. PostgreSQL
-- runs AFTER ROW triggers at the end of the statement rather than after each
-- row; the counts come out the same.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    n     BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE org_stage_counts (
    region  TEXT NOT NULL,
    status  TEXT NOT NULL,
    n       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (region, status)
);
CREATE TABLE flag_day_counts (
    day  TEXT PRIMARY KEY,
    n    BIGINT NOT NULL DEFAULT 0
);
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

-- One function per table; each SQLite trigger keeps its name and its WHEN
-- (less the bulk_load subquery, tested first in the function). A comparison
-- that SQLite adds as 0/1 is a boolean cast to integer here.
CREATE FUNCTION uploads_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') THEN RETURN NULL; END IF;
    IF TG_OP = 'INSERT' THEN
        UPDATE counters SET n = n + 1 WHERE name = 'uploads_pending';
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE counters SET n = n - 1 WHERE name = 'uploads_pending';
    ELSE
        UPDATE counters SET n = n + (NEW.status = 'pending')::int - (OLD.status = 'pending')::int
        WHERE name = 'uploads_pending';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER uploads_count_insert AFTER INSERT ON uploads
    FOR EACH ROW WHEN (NEW.status = 'pending') EXECUTE FUNCTION uploads_count();
CREATE TRIGGER uploads_count_delete AFTER DELETE ON uploads
    FOR EACH ROW WHEN (OLD.status = 'pending') EXECUTE FUNCTION uploads_count();
CREATE TRIGGER uploads_count_update AFTER UPDATE OF status ON uploads
    FOR EACH ROW WHEN ((OLD.status = 'pending') IS DISTINCT FROM (NEW.status = 'pending'))
    EXECUTE FUNCTION uploads_count();

CREATE FUNCTION forum_posts_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') THEN RETURN NULL; END IF;
    IF TG_OP = 'INSERT' THEN
        UPDATE counters SET n = n + 1 WHERE name = 'posts_flagged' AND NEW.flag_count > 0 AND NEW.status = 'visible';
        UPDATE counters SET n = n + 1 WHERE name = 'posts_held' AND NEW.status = 'hidden' AND NEW.moderated_by IS NOT DISTINCT FROM 'system';
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE counters SET n = n - 1 WHERE name = 'posts_flagged' AND OLD.flag_count > 0 AND OLD.status = 'visible';
        UPDATE counters SET n = n - 1 WHERE name = 'posts_held' AND OLD.status = 'hidden' AND OLD.moderated_by IS NOT DISTINCT FROM 'system';
    ELSE
        UPDATE counters
        SET n = n + (NEW.flag_count > 0 AND NEW.status = 'visible')::int - (OLD.flag_count > 0 AND OLD.status = 'visible')::int
        WHERE name = 'posts_flagged';
        UPDATE counters
        SET n = n + (NEW.status = 'hidden' AND NEW.moderated_by IS NOT DISTINCT FROM 'system')::int
                  - (OLD.status = 'hidden' AND OLD.moderated_by IS NOT DISTINCT FROM 'system')::int
        WHERE name = 'posts_held';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER forum_posts_count_insert AFTER INSERT ON forum_posts
    FOR EACH ROW WHEN ((NEW.flag_count > 0 AND NEW.status = 'visible')
                       OR (NEW.status = 'hidden' AND NEW.moderated_by IS NOT DISTINCT FROM 'system'))
    EXECUTE FUNCTION forum_posts_count();
CREATE TRIGGER forum_posts_count_delete AFTER DELETE ON forum_posts
    FOR EACH ROW WHEN ((OLD.flag_count > 0 AND OLD.status = 'visible')
                       OR (OLD.status = 'hidden' AND OLD.moderated_by IS NOT DISTINCT FROM 'system'))
    EXECUTE FUNCTION forum_posts_count();
CREATE TRIGGER forum_posts_count_update AFTER UPDATE OF flag_count, status, moderated_by ON forum_posts
    FOR EACH ROW WHEN ((OLD.flag_count > 0 AND OLD.status = 'visible') IS DISTINCT FROM (NEW.flag_count > 0 AND NEW.status = 'visible')
                       OR (OLD.status = 'hidden' AND OLD.moderated_by IS NOT DISTINCT FROM 'system')
                          IS DISTINCT FROM (NEW.status = 'hidden' AND NEW.moderated_by IS NOT DISTINCT FROM 'system'))
    EXECUTE FUNCTION forum_posts_count();

CREATE FUNCTION sms_messages_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') THEN RETURN NULL; END IF;
    IF TG_OP = 'INSERT' THEN
        UPDATE counters SET n = n + 1 WHERE name = 'sms_queued';
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE counters SET n = n - 1 WHERE name = 'sms_queued';
    ELSE
        UPDATE counters SET n = n + (NEW.status = 'queued')::int - (OLD.status = 'queued')::int WHERE name = 'sms_queued';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER sms_messages_count_insert AFTER INSERT ON sms_messages
    FOR EACH ROW WHEN (NEW.status = 'queued') EXECUTE FUNCTION sms_messages_count();
CREATE TRIGGER sms_messages_count_delete AFTER DELETE ON sms_messages
    FOR EACH ROW WHEN (OLD.status = 'queued') EXECUTE FUNCTION sms_messages_count();
CREATE TRIGGER sms_messages_count_update AFTER UPDATE OF status ON sms_messages
    FOR EACH ROW WHEN ((OLD.status = 'queued') IS DISTINCT FROM (NEW.status = 'queued'))
    EXECUTE FUNCTION sms_messages_count();

-- outbox and conflicts: no bulk_load test in schema.sql either.
CREATE FUNCTION outbox_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE counters SET n = n + 1 WHERE name = 'outbox_pending';
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE counters SET n = n - 1 WHERE name = 'outbox_pending';
    ELSE
        UPDATE counters SET n = n + (NEW.pushed_at IS NULL)::int - (OLD.pushed_at IS NULL)::int WHERE name = 'outbox_pending';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_count_insert AFTER INSERT ON outbox
    FOR EACH ROW WHEN (NEW.pushed_at IS NULL) EXECUTE FUNCTION outbox_count();
CREATE TRIGGER outbox_count_delete AFTER DELETE ON outbox
    FOR EACH ROW WHEN (OLD.pushed_at IS NULL) EXECUTE FUNCTION outbox_count();
CREATE TRIGGER outbox_count_update AFTER UPDATE OF pushed_at ON outbox
    FOR EACH ROW WHEN ((OLD.pushed_at IS NULL) IS DISTINCT FROM (NEW.pushed_at IS NULL))
    EXECUTE FUNCTION outbox_count();

CREATE FUNCTION conflicts_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE counters SET n = n + 1 WHERE name = 'conflicts_open';
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE counters SET n = n - 1 WHERE name = 'conflicts_open';
    ELSE
        UPDATE counters SET n = n + (NEW.resolved_at IS NULL)::int - (OLD.resolved_at IS NULL)::int WHERE name = 'conflicts_open';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER conflicts_count_insert AFTER INSERT ON conflicts
    FOR EACH ROW WHEN (NEW.resolved_at IS NULL) EXECUTE FUNCTION conflicts_count();
CREATE TRIGGER conflicts_count_delete AFTER DELETE ON conflicts
    FOR EACH ROW WHEN (OLD.resolved_at IS NULL) EXECUTE FUNCTION conflicts_count();
CREATE TRIGGER conflicts_count_update AFTER UPDATE OF resolved_at ON conflicts
    FOR EACH ROW WHEN ((OLD.resolved_at IS NULL) IS DISTINCT FROM (NEW.resolved_at IS NULL))
    EXECUTE FUNCTION conflicts_count();

CREATE FUNCTION organizations_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') THEN RETURN NULL; END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE org_stage_counts SET n = n - 1 WHERE region = OLD.region AND status = OLD.status;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO org_stage_counts (region, status, n) VALUES (NEW.region, NEW.status, 1)
        ON CONFLICT (region, status) DO UPDATE SET n = org_stage_counts.n + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER organizations_count_insert AFTER INSERT ON organizations
    FOR EACH ROW EXECUTE FUNCTION organizations_count();
CREATE TRIGGER organizations_count_delete AFTER DELETE ON organizations
    FOR EACH ROW EXECUTE FUNCTION organizations_count();
CREATE TRIGGER organizations_count_update AFTER UPDATE OF region, status ON organizations
    FOR EACH ROW WHEN (OLD.region IS DISTINCT FROM NEW.region OR OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION organizations_count();

CREATE FUNCTION forum_flags_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') THEN RETURN NULL; END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE flag_day_counts SET n = n - 1 WHERE day = substr(OLD.created_at, 1, 10);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO flag_day_counts (day, n) VALUES (substr(NEW.created_at, 1, 10), 1)
        ON CONFLICT (day) DO UPDATE SET n = flag_day_counts.n + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER forum_flags_count_insert AFTER INSERT ON forum_flags
    FOR EACH ROW EXECUTE FUNCTION forum_flags_count();
CREATE TRIGGER forum_flags_count_delete AFTER DELETE ON forum_flags
    FOR EACH ROW EXECUTE FUNCTION forum_flags_count();
CREATE TRIGGER forum_flags_count_update AFTER UPDATE OF created_at ON forum_flags
    FOR EACH ROW WHEN (substr(OLD.created_at, 1, 10) IS DISTINCT FROM substr(NEW.created_at, 1, 10))
    EXECUTE FUNCTION forum_flags_count();
-- end: version 7

-- begin: version 8
-- Whom a group of members reaches (schema.sql, "version 8"). In one
-- statement PostgreSQL runs these functions after its last row: a member's
-- contact is looked at as the statement left it, which counts the same.
CREATE TABLE sms_group_reach (
    group_id  TEXT PRIMARY KEY,
    n         BIGINT NOT NULL DEFAULT 0
);
-- Brought to this version while an older hub process still serves, the
-- count below and the triggers after it must see the same rows: no member
-- or contact changes between them (the lock lasts to the commit).
LOCK TABLE sms_contacts, sms_group_members IN SHARE ROW EXCLUSIVE MODE;

-- begin: reach counts (every group's reach from a full count)
DELETE FROM sms_group_reach;
INSERT INTO sms_group_reach (group_id, n)
SELECT gm.group_id, count(*) FROM sms_group_members gm
JOIN sms_contacts c ON c.id = gm.contact_id
WHERE c.opted_out_at IS NULL GROUP BY gm.group_id;
-- end: reach counts

CREATE FUNCTION sms_group_members_reach() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') THEN RETURN NULL; END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE sms_group_reach SET n = n - 1 WHERE group_id = OLD.group_id
          AND EXISTS (SELECT 1 FROM sms_contacts WHERE id = OLD.contact_id AND opted_out_at IS NULL);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO sms_group_reach (group_id, n)
        SELECT NEW.group_id, 1 FROM sms_contacts WHERE id = NEW.contact_id AND opted_out_at IS NULL
        ON CONFLICT (group_id) DO UPDATE SET n = sms_group_reach.n + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER sms_group_members_reach_insert AFTER INSERT ON sms_group_members
    FOR EACH ROW EXECUTE FUNCTION sms_group_members_reach();
CREATE TRIGGER sms_group_members_reach_delete AFTER DELETE ON sms_group_members
    FOR EACH ROW EXECUTE FUNCTION sms_group_members_reach();
CREATE TRIGGER sms_group_members_reach_update AFTER UPDATE OF group_id, contact_id ON sms_group_members
    FOR EACH ROW WHEN (OLD.group_id IS DISTINCT FROM NEW.group_id OR OLD.contact_id IS DISTINCT FROM NEW.contact_id)
    EXECUTE FUNCTION sms_group_members_reach();

CREATE FUNCTION sms_contacts_reach() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM sync_state WHERE key = 'bulk_load') THEN RETURN NULL; END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.opted_out_at IS NULL THEN
        UPDATE sms_group_reach SET n = n - 1
        WHERE group_id IN (SELECT group_id FROM sms_group_members WHERE contact_id = OLD.id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.opted_out_at IS NULL THEN
        INSERT INTO sms_group_reach (group_id, n)
        SELECT group_id, 1 FROM sms_group_members WHERE contact_id = NEW.id
        ON CONFLICT (group_id) DO UPDATE SET n = sms_group_reach.n + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER sms_contacts_reach_insert AFTER INSERT ON sms_contacts
    FOR EACH ROW WHEN (NEW.opted_out_at IS NULL) EXECUTE FUNCTION sms_contacts_reach();
CREATE TRIGGER sms_contacts_reach_delete AFTER DELETE ON sms_contacts
    FOR EACH ROW WHEN (OLD.opted_out_at IS NULL) EXECUTE FUNCTION sms_contacts_reach();
CREATE TRIGGER sms_contacts_reach_update AFTER UPDATE OF id, opted_out_at ON sms_contacts
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id
                       OR (OLD.opted_out_at IS NULL) IS DISTINCT FROM (NEW.opted_out_at IS NULL))
    EXECUTE FUNCTION sms_contacts_reach();
-- end: version 8

-- begin: version 9
-- Only indexes of search keys, which a hub never searches (see the top).
-- end: version 9

-- PRAGMA user_version: the version store::SCHEMA_VERSION names.
-- SQLite's json_extract for the paths the rules use ('$.a.b'), so their SQL
-- is written once: the text at that path, or NULL.
CREATE FUNCTION json_extract(doc TEXT, path TEXT) RETURNS TEXT
    LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT (doc::jsonb) #>> string_to_array(substr(path, 3), '.') $$;

-- PostgreSQL only: failed authentications, counted where every hub process
-- on this database sees them (SQLite's one process counts in memory).
-- Unlogged: a crash forgets them, as a SQLite hub's restart does.
CREATE UNLOGGED TABLE auth_failures (
    key    TEXT PRIMARY KEY,
    since  BIGINT NOT NULL,   -- Unix seconds: the window's start
    n      BIGINT NOT NULL
);

CREATE TABLE schema_version (version BIGINT NOT NULL);
INSERT INTO schema_version (version) VALUES (9);
