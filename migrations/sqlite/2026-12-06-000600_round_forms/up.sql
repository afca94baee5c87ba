-- Application forms per round (issue 19). Every saved definition is a new
-- version; the latest is the round's form. Forms change only before the
-- round opens (the domain's rule), so answers always match the version
-- their application records.
CREATE TABLE round_forms (
    round_id    BLOB NOT NULL REFERENCES rounds (id),
    version     INTEGER NOT NULL CHECK (version >= 1),
    definition  TEXT NOT NULL,
    saved_by    BLOB,
    saved_at    TEXT NOT NULL,
    PRIMARY KEY (round_id, version)
) STRICT;

-- An application's answers to its round's form, as JSON keyed by question
-- id. Kept beside the application, not in it, so the queue's reads of the
-- applications table stay narrow.
CREATE TABLE application_answers (
    application_id  BLOB PRIMARY KEY REFERENCES applications (id),
    form_version    INTEGER NOT NULL,
    answers         TEXT NOT NULL,
    saved_by        BLOB,
    saved_at        TEXT NOT NULL
) STRICT;

-- Rules of a round kept beside it (the rounds table is at diesel's
-- 16-column limit): whether an organisation may have only one
-- application in the round (withdrawn ones do not count).
CREATE TABLE round_settings (
    round_id                          BLOB PRIMARY KEY REFERENCES rounds (id),
    one_application_per_organisation  INTEGER NOT NULL DEFAULT 0
) STRICT;
