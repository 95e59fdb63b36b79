-- Resync's PostgreSQL schema for the Orleans ADO.NET clustering and grain-storage providers.
--
-- The providers read their statements from the table OrleansQuery (fixed name, QueryKey -> QueryText) and
-- bind parameters and read result columns by name; everything else here is Resync's own. Applied at every
-- silo start under an advisory lock: each statement is idempotent, and query texts are upserted so that a
-- newer Resync replaces them. Statements that change membership are single statements, so each is atomic.

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64)   NOT NULL PRIMARY KEY,
    QueryText varchar(8000) NOT NULL
);

-- One row per deployment: the membership table's version, bumped by every change (optimistic concurrency).
CREATE TABLE IF NOT EXISTS resync_membership_version
(
    deployment_id varchar(150) NOT NULL PRIMARY KEY,
    changed_at    timestamptz  NOT NULL DEFAULT now(),
    version       integer      NOT NULL DEFAULT 0
);

-- One row per silo incarnation (address, port, generation).
CREATE TABLE IF NOT EXISTS resync_membership
(
    deployment_id  varchar(150)  NOT NULL REFERENCES resync_membership_version (deployment_id),
    address        varchar(45)   NOT NULL,
    port           integer       NOT NULL,
    generation     integer       NOT NULL,
    silo_name      varchar(150)  NOT NULL,
    host_name      varchar(150)  NOT NULL,
    status         integer       NOT NULL,
    proxy_port     integer       NULL,
    suspect_times  varchar(8000) NULL,
    start_time     timestamptz   NOT NULL,
    i_am_alive     timestamptz   NOT NULL,
    PRIMARY KEY (deployment_id, address, port, generation)
);

-- Grain state, one row per service, grain type and grain id; version is the ETag.
CREATE TABLE IF NOT EXISTS resync_grain_state
(
    service_id      varchar(150) NOT NULL,
    grain_type_hash integer      NOT NULL,
    grain_type      varchar(512) NOT NULL,
    grain_id_hash   integer      NOT NULL,
    grain_id_n0     bigint       NOT NULL,
    grain_id_n1     bigint       NOT NULL,
    grain_id_ext    varchar(512) NOT NULL DEFAULT '',
    payload         bytea        NULL,
    version         integer      NOT NULL,
    modified_at     timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (service_id, grain_type_hash, grain_id_hash, grain_id_n0, grain_id_n1, grain_type, grain_id_ext)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

('InsertMembershipVersionKey', '
WITH inserted AS (
    INSERT INTO resync_membership_version (deployment_id) VALUES (@DeploymentId)
    ON CONFLICT (deployment_id) DO NOTHING
    RETURNING 1
)
SELECT count(*)::integer FROM inserted'),

-- Inserts a silo only if the table version is the one the silo read, and bumps it, in one statement.
('InsertMembershipKey', '
WITH bumped AS (
    UPDATE resync_membership_version SET version = version + 1, changed_at = now()
    WHERE deployment_id = @DeploymentId AND version = @Version
    RETURNING deployment_id
), inserted AS (
    INSERT INTO resync_membership (deployment_id, address, port, generation, silo_name, host_name, status, proxy_port, start_time, i_am_alive)
    SELECT deployment_id, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort, @StartTime, @IAmAliveTime FROM bumped
    RETURNING 1
)
SELECT count(*)::integer FROM inserted'),

-- Updates a silo only if it exists and the table version is the one the silo read, and bumps it.
('UpdateMembershipKey', '
WITH bumped AS (
    UPDATE resync_membership_version v SET version = version + 1, changed_at = now()
    WHERE v.deployment_id = @DeploymentId AND v.version = @Version
      AND EXISTS (SELECT 1 FROM resync_membership m
                  WHERE m.deployment_id = @DeploymentId AND m.address = @Address AND m.port = @Port AND m.generation = @Generation)
    RETURNING v.deployment_id
), updated AS (
    UPDATE resync_membership m SET status = @Status, suspect_times = @SuspectTimes, i_am_alive = @IAmAliveTime
    FROM bumped
    WHERE m.deployment_id = bumped.deployment_id AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
    RETURNING 1
)
SELECT count(*)::integer FROM updated'),

('UpdateIAmAlivetimeKey', '
UPDATE resync_membership SET i_am_alive = @IAmAliveTime
WHERE deployment_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation'),

('MembershipReadRowKey', '
SELECT v.deployment_id AS DeploymentId, m.address AS Address, m.port AS Port, m.generation AS Generation,
       m.silo_name AS SiloName, m.host_name AS HostName, m.status AS Status, m.proxy_port AS ProxyPort,
       m.suspect_times AS SuspectTimes, m.start_time AS StartTime, m.i_am_alive AS IAmAliveTime, v.version AS Version
FROM resync_membership_version v
LEFT JOIN resync_membership m
       ON m.deployment_id = v.deployment_id AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
WHERE v.deployment_id = @DeploymentId'),

('MembershipReadAllKey', '
SELECT v.deployment_id AS DeploymentId, m.address AS Address, m.port AS Port, m.generation AS Generation,
       m.silo_name AS SiloName, m.host_name AS HostName, m.status AS Status, m.proxy_port AS ProxyPort,
       m.suspect_times AS SuspectTimes, m.start_time AS StartTime, m.i_am_alive AS IAmAliveTime, v.version AS Version
FROM resync_membership_version v
LEFT JOIN resync_membership m ON m.deployment_id = v.deployment_id
WHERE v.deployment_id = @DeploymentId'),

('DeleteMembershipTableEntriesKey', '
WITH gone AS (DELETE FROM resync_membership WHERE deployment_id = @DeploymentId)
DELETE FROM resync_membership_version WHERE deployment_id = @DeploymentId'),

('GatewaysQueryKey', '
SELECT address AS Address, proxy_port AS ProxyPort, generation AS Generation
FROM resync_membership
WHERE deployment_id = @DeploymentId AND status = @Status AND proxy_port > 0'),

('CleanupDefunctSiloEntriesKey', '
DELETE FROM resync_membership
WHERE deployment_id = @DeploymentId AND i_am_alive < @IAmAliveTime AND status <> 3'),

('CleanupDefunctSiloEntryKey', '
DELETE FROM resync_membership
WHERE deployment_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation AND status <> 3'),

-- Grain storage. A write with no version inserts version 1 if no row exists; a write with a version
-- replaces the row holding exactly that version. The answer is the new version, or the old one if
-- nothing was written, which the provider reports as a conflict.
('WriteToStorageKey', '
WITH updated AS (
    UPDATE resync_grain_state SET payload = @PayloadBinary, version = version + 1, modified_at = now()
    WHERE @GrainStateVersion::integer IS NOT NULL
      AND service_id = @ServiceId AND grain_type_hash = @GrainTypeHash AND grain_type = @GrainTypeString
      AND grain_id_hash = @GrainIdHash AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
      AND grain_id_ext = coalesce(@GrainIdExtensionString::varchar, '''')
      AND version = @GrainStateVersion::integer
    RETURNING version
), inserted AS (
    INSERT INTO resync_grain_state (service_id, grain_type_hash, grain_type, grain_id_hash, grain_id_n0, grain_id_n1, grain_id_ext, payload, version)
    SELECT @ServiceId, @GrainTypeHash, @GrainTypeString, @GrainIdHash, @GrainIdN0, @GrainIdN1, coalesce(@GrainIdExtensionString::varchar, ''''), @PayloadBinary, 1
    WHERE @GrainStateVersion::integer IS NULL
    ON CONFLICT DO NOTHING
    RETURNING version
)
SELECT coalesce((SELECT version FROM updated), (SELECT version FROM inserted), @GrainStateVersion::integer) AS NewGrainStateVersion'),

('ReadFromStorageKey', '
SELECT payload AS PayloadBinary, NULL::xml AS PayloadXml, NULL::text AS PayloadJson, now() AS ModifiedOn, version AS Version
FROM resync_grain_state
WHERE service_id = @ServiceId AND grain_type_hash = @GrainTypeHash AND grain_type = @GrainTypeString
  AND grain_id_hash = @GrainIdHash AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_id_ext = coalesce(@GrainIdExtensionString::varchar, '''')'),

('ClearStorageKey', '
UPDATE resync_grain_state SET payload = NULL, version = version + 1, modified_at = now()
WHERE service_id = @ServiceId AND grain_type_hash = @GrainTypeHash AND grain_type = @GrainTypeString
  AND grain_id_hash = @GrainIdHash AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_id_ext = coalesce(@GrainIdExtensionString::varchar, '''')
  AND version = @GrainStateVersion::integer
RETURNING version AS NewGrainStateVersion'),

('DeleteStorageKey', '
DELETE FROM resync_grain_state
WHERE service_id = @ServiceId AND grain_type_hash = @GrainTypeHash AND grain_type = @GrainTypeString
  AND grain_id_hash = @GrainIdHash AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_id_ext = coalesce(@GrainIdExtensionString::varchar, '''')
  AND version = @GrainStateVersion::integer
RETURNING NULL::integer AS NewGrainStateVersion')

ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
