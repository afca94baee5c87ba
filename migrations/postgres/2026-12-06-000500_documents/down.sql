DROP TABLE attachments;
DROP TABLE document_chunks;
DROP TABLE document_contents;
DROP FUNCTION grantledger_attachment_supersede_only();
