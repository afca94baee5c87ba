-- The 360Giving export pages through one fund's awards by id (keyset):
-- this index serves each batch directly, however many other funds there are.
CREATE INDEX awards_fund_id ON awards (fund_id, id);
