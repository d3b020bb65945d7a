public import EIPSQL

extension SchemaMigrations {
    /// The books' schema, recorded in `schema_migrations`.
    ///
    /// The invariants of DESIGN.md live here: partial unique indexes keep one active lease per pod
    /// and one lease per address; counters with `CHECK`s bound pool size and package membership,
    /// and the store only moves them with conditional updates.
    public static let books = SchemaMigrations(
        historyTable: "schema_migrations",
        migrations: [
            Migration(
                version: 1, name: "books",
                statements: [
                    """
                    CREATE TABLE clusters (
                        name TEXT PRIMARY KEY,
                        quota BIGINT NOT NULL CHECK (quota >= 0),
                        active_leases BIGINT NOT NULL DEFAULT 0 CHECK (active_leases >= 0),
                        last_heartbeat BIGINT,
                        created_at BIGINT NOT NULL,
                        updated_at BIGINT NOT NULL
                    )
                    """,
                    """
                    CREATE TABLE tokens (
                        id TEXT PRIMARY KEY,
                        token_hash TEXT NOT NULL UNIQUE,
                        role TEXT NOT NULL CHECK (role IN ('admin', 'cluster')),
                        cluster TEXT REFERENCES clusters(name) ON DELETE CASCADE,
                        created_at BIGINT NOT NULL,
                        CHECK ((role = 'admin') = (cluster IS NULL))
                    )
                    """,
                    """
                    CREATE TABLE bandwidth_packages (
                        id TEXT PRIMARY KEY,
                        provider TEXT NOT NULL,
                        region TEXT NOT NULL,
                        max_ips BIGINT NOT NULL CHECK (max_ips > 0),
                        members BIGINT NOT NULL DEFAULT 0,
                        created_at BIGINT NOT NULL,
                        CONSTRAINT bandwidth_package_capacity CHECK (members >= 0 AND members <= max_ips)
                    )
                    """,
                    """
                    CREATE TABLE pools (
                        name TEXT PRIMARY KEY,
                        provider TEXT NOT NULL,
                        region TEXT NOT NULL,
                        defaults TEXT NOT NULL,
                        bandwidth_packages TEXT NOT NULL,
                        warm_min BIGINT NOT NULL CHECK (warm_min >= 0),
                        warm_max BIGINT NOT NULL,
                        max_size BIGINT NOT NULL CHECK (max_size > 0),
                        clusters TEXT,
                        size BIGINT NOT NULL DEFAULT 0,
                        created_at BIGINT NOT NULL,
                        updated_at BIGINT NOT NULL,
                        CHECK (warm_min <= warm_max AND warm_max <= max_size),
                        CONSTRAINT pool_capacity CHECK (size >= 0 AND size <= max_size)
                    )
                    """,
                    """
                    CREATE TABLE leases (
                        id TEXT PRIMARY KEY,
                        cluster TEXT NOT NULL REFERENCES clusters(name),
                        namespace TEXT NOT NULL,
                        pod TEXT NOT NULL,
                        pod_uid TEXT NOT NULL,
                        pool TEXT,
                        allocation_type TEXT NOT NULL CHECK (allocation_type IN ('Auto', 'Static')),
                        release_strategy TEXT NOT NULL CHECK (release_strategy IN ('Follow', 'Never', 'TTL')),
                        release_after_ms BIGINT,
                        parameters TEXT NOT NULL,
                        bandwidth_package_id TEXT,
                        allocation_id TEXT,
                        ip_address TEXT,
                        network_interface_id TEXT,
                        private_ip_address TEXT,
                        phase TEXT NOT NULL CHECK (phase IN ('Pending', 'Allocated', 'Associating', 'InUse', 'Disassociating', 'Releasing', 'Released', 'Failed')),
                        goal TEXT NOT NULL CHECK (goal IN ('allocated', 'associated', 'released')),
                        active BIGINT NOT NULL,
                        needs_work BIGINT NOT NULL,
                        allow_rob BIGINT NOT NULL DEFAULT 0,
                        retained BIGINT NOT NULL DEFAULT 0,
                        pod_last_seen BIGINT,
                        release_at BIGINT,
                        last_error TEXT,
                        attempts BIGINT NOT NULL DEFAULT 0,
                        next_attempt_at BIGINT NOT NULL DEFAULT 0,
                        claim_owner TEXT,
                        claim_until BIGINT,
                        version BIGINT NOT NULL,
                        created_at BIGINT NOT NULL,
                        updated_at BIGINT NOT NULL,
                        CHECK ((active = 1) = (phase NOT IN ('Released', 'Failed')))
                    )
                    """,
                    // Invariant 2: at most one active lease per pod.
                    // A lease on its way out (goal released) no longer holds the pod's name.
                    "CREATE UNIQUE INDEX leases_one_active_per_pod ON leases (cluster, namespace, pod) WHERE active = 1 AND goal <> 'released'",
                    // Invariant 1 (lease side): an address is in at most one active lease.
                    "CREATE UNIQUE INDEX leases_one_active_per_address ON leases (allocation_id) WHERE active = 1 AND allocation_id IS NOT NULL",
                    "CREATE INDEX leases_work ON leases (next_attempt_at) WHERE needs_work = 1",
                    "CREATE INDEX leases_cluster ON leases (cluster, namespace, id)",
                    """
                    CREATE TABLE addresses (
                        id TEXT PRIMARY KEY,
                        allocation_id TEXT UNIQUE,
                        ip_address TEXT,
                        provider TEXT NOT NULL,
                        region TEXT NOT NULL,
                        pool TEXT,
                        static BIGINT NOT NULL DEFAULT 0,
                        parameters TEXT NOT NULL,
                        bandwidth_package_id TEXT REFERENCES bandwidth_packages(id),
                        state TEXT NOT NULL CHECK (state IN ('allocating', 'idle', 'leased', 'releasing', 'released', 'lost')),
                        lease_id TEXT,
                        cloud_attempted BIGINT NOT NULL DEFAULT 0,
                        claim_until BIGINT,
                        created_at BIGINT NOT NULL,
                        updated_at BIGINT NOT NULL,
                        CHECK ((lease_id IS NULL) OR (state IN ('allocating', 'leased', 'releasing'))),
                        CHECK ((state <> 'idle') OR (lease_id IS NULL AND allocation_id IS NOT NULL))
                    )
                    """,
                    // Invariant 1 (address side): a lease holds at most one address.
                    "CREATE UNIQUE INDEX addresses_one_per_lease ON addresses (lease_id) WHERE lease_id IS NOT NULL",
                    "CREATE UNIQUE INDEX addresses_live_ip ON addresses (provider, ip_address) WHERE state NOT IN ('released', 'lost') AND ip_address IS NOT NULL",
                    "CREATE INDEX addresses_pool_state ON addresses (pool, state)",
                    """
                    CREATE TABLE idempotency_keys (
                        scope TEXT NOT NULL,
                        key TEXT NOT NULL,
                        request_hash TEXT NOT NULL,
                        status BIGINT,
                        response TEXT,
                        created_at BIGINT NOT NULL,
                        PRIMARY KEY (scope, key)
                    )
                    """,
                    """
                    CREATE TABLE events (
                        id {{serial}},
                        at BIGINT NOT NULL,
                        actor TEXT NOT NULL,
                        action TEXT NOT NULL,
                        subject_type TEXT NOT NULL,
                        subject_id TEXT NOT NULL,
                        cluster TEXT,
                        message TEXT NOT NULL
                    )
                    """,
                    "CREATE INDEX events_subject ON events (subject_id, id)",
                    """
                    CREATE TABLE loop_leaders (
                        loop TEXT PRIMARY KEY,
                        owner TEXT NOT NULL,
                        until BIGINT NOT NULL
                    )
                    """,
                ]),
            // The simulated cloud's tables were made here once; they are its own schema now
            // (`SchemaMigrations.simulatedCloud`). The number stays taken.
            Migration(version: 2, name: "simulated cloud", statements: []),
            Migration(
                version: 3, name: "cluster identity and location",
                statements: [
                    // An id a re-created cluster of the same name does not inherit: idempotency keys
                    // and audit events belong to it. Existing clusters get one from their creation.
                    "ALTER TABLE clusters ADD COLUMN id TEXT",
                    "UPDATE clusters SET id = 'c-' || name || '-' || CAST(created_at AS TEXT)",
                    "CREATE UNIQUE INDEX clusters_id ON clusters (id)",
                    // Where the cluster's pods are: its account and region (filled from the broker's
                    // default account at start for clusters made before), and the VPCs its ENIs are in.
                    "ALTER TABLE clusters ADD COLUMN provider TEXT",
                    "ALTER TABLE clusters ADD COLUMN region TEXT",
                    "ALTER TABLE clusters ADD COLUMN vpc_ids TEXT NOT NULL DEFAULT '[]'",
                    "ALTER TABLE clusters ADD COLUMN allow_rob BIGINT NOT NULL DEFAULT 0",
                    "ALTER TABLE events ADD COLUMN cluster_id TEXT",
                    "UPDATE events SET cluster_id = (SELECT c.id FROM clusters c WHERE c.name = events.cluster)",
                    "CREATE INDEX events_cluster ON events (cluster_id, id)",
                    // Minted tokens were once stored for replay: forget them (only hashes are kept).
                    "DELETE FROM idempotency_keys WHERE scope LIKE '%/tokens%'",
                ]),
            Migration(
                version: 4, name: "idempotency keys held by a live request",
                statements: [
                    // An unanswered key is held by the request answering it until `held_until`, which
                    // that request keeps moving while it runs; past it, a retry takes the key over.
                    // Keys left unanswered before this have no holder: the next retry takes them.
                    "ALTER TABLE idempotency_keys ADD COLUMN held_by TEXT",
                    "ALTER TABLE idempotency_keys ADD COLUMN held_until BIGINT",
                ]),
            Migration(
                version: 5, name: "silent clusters",
                statements: [
                    // Set once when a cluster holding leases stops sending heartbeats, cleared by its
                    // next heartbeat: each silence is reported once, by whichever replica sees it first.
                    "ALTER TABLE clusters ADD COLUMN silent_since BIGINT"
                ]),
            Migration(
                version: 6, name: "what the cloud reports of each EIP, bandwidth packages found in the cloud",
                statements: [
                    // JSON EIPParameters as the cloud describes the EIP (ISP, charge types, bandwidth,
                    // resource group, public IP pool), recorded when it is allocated or adopted;
                    // `parameters` stays what was asked. NULL for EIPs recorded before this.
                    "ALTER TABLE addresses ADD COLUMN reported TEXT",
                    "ALTER TABLE leases ADD COLUMN reported TEXT",
                    // The pool through which the broker registered a package itself, because a pod of
                    // that pool named it and the cloud has it (ACK joins any package of the account):
                    // the pool's clusters may name it. NULL: registered by an admin, for the pools
                    // that list it.
                    "ALTER TABLE bandwidth_packages ADD COLUMN discovered_for TEXT",
                ]),
        ])
}
