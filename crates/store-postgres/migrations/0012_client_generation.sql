-- A counter that moves whenever anything client authentication reads changes: an application,
-- its secrets or its resource grants. Servers cache client records and poll this one row to
-- learn that another process (a replica, an offline `gatehouse admin` command, a hand-written
-- statement) changed one; triggers bump it, so no writer can forget to. Changes made through a
-- server's own API are dropped from that server's cache at once, without waiting for a poll.
-- The triggers are per row, so a statement that changes nothing leaves the counter alone, and
-- they fire for foreign-key cascades too (deleting a resource deletes its grants).

CREATE TABLE client_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO client_generation (id, value) VALUES (1, 0);

CREATE FUNCTION bump_client_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE client_generation SET value = value + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER applications_generation
AFTER INSERT OR UPDATE OR DELETE ON applications
FOR EACH ROW EXECUTE FUNCTION bump_client_generation();
CREATE TRIGGER applications_truncate_generation
AFTER TRUNCATE ON applications
FOR EACH STATEMENT EXECUTE FUNCTION bump_client_generation();
CREATE TRIGGER client_secrets_generation
AFTER INSERT OR UPDATE OR DELETE ON client_secrets
FOR EACH ROW EXECUTE FUNCTION bump_client_generation();
CREATE TRIGGER client_secrets_truncate_generation
AFTER TRUNCATE ON client_secrets
FOR EACH STATEMENT EXECUTE FUNCTION bump_client_generation();
CREATE TRIGGER application_resource_grants_generation
AFTER INSERT OR UPDATE OR DELETE ON application_resource_grants
FOR EACH ROW EXECUTE FUNCTION bump_client_generation();
CREATE TRIGGER application_resource_grants_truncate_generation
AFTER TRUNCATE ON application_resource_grants
FOR EACH STATEMENT EXECUTE FUNCTION bump_client_generation();
