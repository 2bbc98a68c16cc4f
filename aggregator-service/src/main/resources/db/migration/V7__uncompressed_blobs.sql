-- Every batch writes its outbox row and its checkpoint (a delta, now and then a snapshot): megabytes of JSON and
-- state, deleted or replaced within seconds. PostgreSQL compressed each of them (pglz, the default for a large
-- bytea) on the way in, which cost more of its CPU than the rows were worth; they are stored as they are.
ALTER TABLE outbox ALTER COLUMN records SET STORAGE EXTERNAL;
ALTER TABLE checkpoint ALTER COLUMN state SET STORAGE EXTERNAL;
ALTER TABLE checkpoint_delta ALTER COLUMN data SET STORAGE EXTERNAL;
