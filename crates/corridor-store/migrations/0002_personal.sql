-- Personal fields of registrations (name, phone, note), kept apart from the event log and
-- encrypted: each day's registrations under a data key of their own, itself encrypted with
-- the operator's key file, which never enters the database. Erasing a day deletes its key
-- and its rows; counts and movements stay in the log.

CREATE TABLE data_keys (
    day TEXT PRIMARY KEY,
    wrapped BYTEA NOT NULL
);

CREATE TABLE personal (
    event_id TEXT PRIMARY KEY,
    household TEXT NOT NULL,
    day TEXT NOT NULL,
    nonce BYTEA NOT NULL,
    sealed BYTEA NOT NULL
);

CREATE INDEX personal_household ON personal (household);
CREATE INDEX personal_day ON personal (day);
