DROP TABLE attachments;
DROP TABLE document_chunks;
DROP TABLE document_contents;
