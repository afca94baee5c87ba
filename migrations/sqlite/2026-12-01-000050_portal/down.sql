DROP TABLE return_drafts;
DROP TABLE portal_sessions;
