-- Finding grantees (issue 20). A grantee's name is searched by its key:
-- lower case, no spaces or punctuation, look-alike letters folded, worked
-- out in Rust (grantledger_domain::grantee::NameKey::compact) and written
-- with every insert and update; rows held before this migration are filled
-- in by the store's migrate step, which computes the same key.
--
-- A search is a prefix of the key, asked as a range
-- (name_key >= 'abc' AND name_key < 'abd'), which a plain index answers
-- under SQLite's default BINARY collation (byte order, as PostgreSQL's
-- COLLATE "C"), so both backends match the same rows.
ALTER TABLE grantees ADD COLUMN name_key TEXT;
-- The local authority as compared: lower case, single spaces.
ALTER TABLE grantees ADD COLUMN local_authority_key TEXT;
CREATE INDEX grantees_name_key ON grantees (name_key);
-- With the id, a page of one authority's grantees in keyset order is read
-- straight off the index rather than sorted.
CREATE INDEX grantees_local_authority_key ON grantees (local_authority_key, id);
