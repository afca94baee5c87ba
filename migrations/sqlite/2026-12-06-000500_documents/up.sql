-- Documents (issue 19): uploaded files, kept in the database so every
-- `serve` process sees every file. Content is addressed by its SHA-256 and
-- stored once however often it is uploaded, in chunks of at most 256 KiB
-- so neither an upload nor a download holds a whole file in memory.
CREATE TABLE document_contents (
    sha256        TEXT PRIMARY KEY CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    document_type TEXT NOT NULL CHECK (document_type IN ('pdf', 'png', 'jpeg', 'docx', 'xlsx', 'csv')),
    size_bytes    INTEGER NOT NULL CHECK (size_bytes > 0),
    created_at    TEXT NOT NULL
) STRICT;

CREATE TABLE document_chunks (
    sha256 TEXT NOT NULL REFERENCES document_contents (sha256),
    seq    INTEGER NOT NULL CHECK (seq >= 0),
    bytes  BLOB NOT NULL CHECK (length(bytes) BETWEEN 1 AND 262144),
    PRIMARY KEY (sha256, seq)
) STRICT;

-- A file attached to an application (purpose: the question's id), an
-- evaluation return (`evidence`) or an organisation (the document kind).
-- Never deleted; a later upload for the same owner and purpose marks the
-- earlier one superseded, the only change a row ever sees.
CREATE TABLE attachments (
    id            BLOB PRIMARY KEY,
    owner_kind    TEXT NOT NULL CHECK (owner_kind IN ('application', 'evaluation_return', 'organisation')),
    owner_id      BLOB NOT NULL,
    purpose       TEXT NOT NULL CHECK (length(purpose) BETWEEN 1 AND 64 AND purpose NOT GLOB '*[^a-z0-9_-]*'),
    sha256        TEXT NOT NULL REFERENCES document_contents (sha256),
    file_name     TEXT NOT NULL CHECK (length(file_name) BETWEEN 1 AND 200),
    uploaded_by   BLOB NOT NULL REFERENCES users (id),
    uploaded_at   TEXT NOT NULL,
    superseded_at TEXT,
    superseded_by BLOB REFERENCES attachments (id) DEFERRABLE INITIALLY DEFERRED,
    CHECK ((superseded_at IS NULL) = (superseded_by IS NULL))
) STRICT;
CREATE INDEX attachments_owner ON attachments (owner_kind, owner_id, purpose, uploaded_at);
-- At most one current file for an owner and purpose.
CREATE UNIQUE INDEX attachments_current ON attachments (owner_kind, owner_id, purpose)
    WHERE superseded_at IS NULL;

CREATE TRIGGER document_contents_no_update BEFORE UPDATE ON document_contents
BEGIN SELECT RAISE(ABORT, 'document_contents is append-only: UPDATE refused'); END;
CREATE TRIGGER document_contents_no_delete BEFORE DELETE ON document_contents
BEGIN SELECT RAISE(ABORT, 'document_contents is append-only: DELETE refused'); END;
CREATE TRIGGER document_chunks_no_update BEFORE UPDATE ON document_chunks
BEGIN SELECT RAISE(ABORT, 'document_chunks is append-only: UPDATE refused'); END;
CREATE TRIGGER document_chunks_no_delete BEFORE DELETE ON document_chunks
BEGIN SELECT RAISE(ABORT, 'document_chunks is append-only: DELETE refused'); END;
CREATE TRIGGER attachments_no_delete BEFORE DELETE ON attachments
BEGIN SELECT RAISE(ABORT, 'attachments are never deleted: DELETE refused'); END;
CREATE TRIGGER attachments_supersede_only BEFORE UPDATE ON attachments
WHEN OLD.superseded_at IS NOT NULL
  OR NEW.superseded_at IS NULL
  OR NEW.id IS NOT OLD.id OR NEW.owner_kind IS NOT OLD.owner_kind
  OR NEW.owner_id IS NOT OLD.owner_id OR NEW.purpose IS NOT OLD.purpose
  OR NEW.sha256 IS NOT OLD.sha256 OR NEW.file_name IS NOT OLD.file_name
  OR NEW.uploaded_by IS NOT OLD.uploaded_by OR NEW.uploaded_at IS NOT OLD.uploaded_at
BEGIN SELECT RAISE(ABORT, 'an attachment can only be marked superseded, once'); END;
