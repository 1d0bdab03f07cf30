-- Self-test init script for the postgres stand-in: runs once, in POSTGRES_DB.
CREATE TABLE selftest (id int PRIMARY KEY, note text NOT NULL);
INSERT INTO selftest VALUES (1, 'from 10-schema.sql');
