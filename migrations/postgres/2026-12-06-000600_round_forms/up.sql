-- Application forms per round (issue 19). Every saved definition is a new
-- version; the latest is the round's form. Forms change only before the
-- round opens (the domain's rule), so answers always match the version
-- their application records.
CREATE TABLE round_forms (
    round_id    uuid NOT NULL REFERENCES rounds (id),
    version     integer NOT NULL CHECK (version >= 1),
    definition  text NOT NULL,
    saved_by    uuid,
    saved_at    timestamptz NOT NULL,
    PRIMARY KEY (round_id, version)
);

-- An application's answers to its round's form, as JSON keyed by question
-- id. Kept beside the application, not in it, so the queue's reads of the
-- applications table stay narrow.
CREATE TABLE application_answers (
    application_id  uuid PRIMARY KEY REFERENCES applications (id),
    form_version    integer NOT NULL,
    answers         text NOT NULL,
    saved_by        uuid,
    saved_at        timestamptz NOT NULL
);

-- Rules of a round kept beside it (the rounds table is at diesel's
-- 16-column limit): whether an organisation may have only one
-- application in the round (withdrawn ones do not count).
CREATE TABLE round_settings (
    round_id                          uuid PRIMARY KEY REFERENCES rounds (id),
    one_application_per_organisation  boolean NOT NULL DEFAULT false
);
