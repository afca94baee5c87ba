-- Documents (issue 19): uploaded files, kept in the database so every
-- `serve` process sees every file. Content is addressed by its SHA-256 and
-- stored once however often it is uploaded, in chunks of at most 256 KiB
-- so neither an upload nor a download holds a whole file in memory.
CREATE TABLE document_contents (
    sha256        text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    document_type text NOT NULL CHECK (document_type IN ('pdf', 'png', 'jpeg', 'docx', 'xlsx', 'csv')),
    size_bytes    bigint NOT NULL CHECK (size_bytes > 0),
    created_at    timestamptz NOT NULL
);

CREATE TABLE document_chunks (
    sha256 text NOT NULL REFERENCES document_contents (sha256),
    seq    integer NOT NULL CHECK (seq >= 0),
    bytes  bytea NOT NULL CHECK (length(bytes) BETWEEN 1 AND 262144),
    PRIMARY KEY (sha256, seq)
);

-- A file attached to an application (purpose: the question's id), an
-- evaluation return (`evidence`) or an organisation (the document kind).
-- Never deleted; a later upload for the same owner and purpose marks the
-- earlier one superseded, the only change a row ever sees.
CREATE TABLE attachments (
    id            uuid PRIMARY KEY,
    owner_kind    text NOT NULL CHECK (owner_kind IN ('application', 'evaluation_return', 'organisation')),
    owner_id      uuid NOT NULL,
    purpose       text NOT NULL CHECK (purpose ~ '^[a-z0-9_-]{1,64}$'),
    sha256        text NOT NULL REFERENCES document_contents (sha256),
    file_name     text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 200),
    uploaded_by   uuid NOT NULL REFERENCES users (id),
    uploaded_at   timestamptz NOT NULL,
    superseded_at timestamptz,
    superseded_by uuid REFERENCES attachments (id) DEFERRABLE INITIALLY DEFERRED,
    CHECK ((superseded_at IS NULL) = (superseded_by IS NULL))
);
CREATE INDEX attachments_owner ON attachments (owner_kind, owner_id, purpose, uploaded_at);
-- At most one current file for an owner and purpose.
CREATE UNIQUE INDEX attachments_current ON attachments (owner_kind, owner_id, purpose)
    WHERE superseded_at IS NULL;

CREATE TRIGGER document_contents_append_only
    BEFORE UPDATE OR DELETE ON document_contents
    FOR EACH ROW EXECUTE FUNCTION grantledger_refuse_change();
CREATE TRIGGER document_chunks_append_only
    BEFORE UPDATE OR DELETE ON document_chunks
    FOR EACH ROW EXECUTE FUNCTION grantledger_refuse_change();
CREATE TRIGGER attachments_no_delete
    BEFORE DELETE ON attachments
    FOR EACH ROW EXECUTE FUNCTION grantledger_refuse_change();

CREATE FUNCTION grantledger_attachment_supersede_only() RETURNS trigger AS $$
BEGIN
    IF OLD.superseded_at IS NOT NULL
       OR NEW.superseded_at IS NULL
       OR (NEW.id, NEW.owner_kind, NEW.owner_id, NEW.purpose, NEW.sha256, NEW.file_name,
           NEW.uploaded_by, NEW.uploaded_at)
          IS DISTINCT FROM
          (OLD.id, OLD.owner_kind, OLD.owner_id, OLD.purpose, OLD.sha256, OLD.file_name,
           OLD.uploaded_by, OLD.uploaded_at) THEN
        RAISE EXCEPTION 'an attachment can only be marked superseded, once';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER attachments_supersede_only
    BEFORE UPDATE ON attachments
    FOR EACH ROW EXECUTE FUNCTION grantledger_attachment_supersede_only();
