-- The standard claims of users beyond their identifiers (OpenID Connect Core 1.0 §5.1). The
-- phone number is a plain column in canonical E.164 form (`+` and digits); it is neither unique
-- nor an identifier, so it has no index. The other claims of the `profile` scope (given_name,
-- family_name, ..., zoneinfo, locale) are one JSON object stored as text, with only the members
-- that have a value ('{}' for none); the postal address (§5.1.1) is a JSON object too, NULL when
-- the user has none. Existing users get no claims and an unverified phone number. Text, not
-- jsonb, as for the other JSON columns: the database never looks inside.

ALTER TABLE users
    ADD COLUMN phone_number TEXT,
    ADD COLUMN phone_number_verified BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN profile TEXT NOT NULL DEFAULT '{}',
    ADD COLUMN address TEXT;
