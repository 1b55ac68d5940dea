-- A counter that moves whenever anything client authentication reads changes: an application,
-- its secrets or its resource grants. Servers cache client records and poll this one row to
-- learn that another process (a replica, an offline `gatehouse admin` command, a hand-written
-- statement) changed one; triggers bump it, so no writer can forget to. Changes made through a
-- server's own API are dropped from that server's cache at once, without waiting for a poll.
-- Foreign-key cascades fire these triggers too (deleting a resource deletes its grants).

CREATE TABLE client_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO client_generation (id, value) VALUES (1, 0);

CREATE TRIGGER applications_insert_generation AFTER INSERT ON applications
BEGIN UPDATE client_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER applications_update_generation AFTER UPDATE ON applications
BEGIN UPDATE client_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER applications_delete_generation AFTER DELETE ON applications
BEGIN UPDATE client_generation SET value = value + 1 WHERE id = 1; END;

CREATE TRIGGER client_secrets_insert_generation AFTER INSERT ON client_secrets
BEGIN UPDATE client_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER client_secrets_update_generation AFTER UPDATE ON client_secrets
BEGIN UPDATE client_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER client_secrets_delete_generation AFTER DELETE ON client_secrets
BEGIN UPDATE client_generation SET value = value + 1 WHERE id = 1; END;

CREATE TRIGGER application_resource_grants_insert_generation
AFTER INSERT ON application_resource_grants
BEGIN UPDATE client_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER application_resource_grants_update_generation
AFTER UPDATE ON application_resource_grants
BEGIN UPDATE client_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER application_resource_grants_delete_generation
AFTER DELETE ON application_resource_grants
BEGIN UPDATE client_generation SET value = value + 1 WHERE id = 1; END;
