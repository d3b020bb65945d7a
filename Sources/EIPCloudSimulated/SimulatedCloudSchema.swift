import EIPCloud
public import EIPSQL

extension SchemaMigrations {
    /// The simulated cloud's tables (`sim_eips`, `sim_enis`, `sim_counters`,
    /// `sim_bandwidth_packages`), recorded in
    /// `sim_schema_migrations`. Apply it to the database a ``SimulatedCloud`` is given before its
    /// first call; it may be the broker's own database or one of its own.
    ///
    /// The first version makes tables that are missing only: databases migrated by the broker
    /// before the simulated cloud had a schema of its own already hold them, in this shape.
    public static let simulatedCloud = SchemaMigrations(
        historyTable: "sim_schema_migrations",
        migrations: [
            Migration(
                version: 1, name: "simulated cloud",
                statements: [
                    """
                    CREATE TABLE IF NOT EXISTS sim_eips (
                        allocation_id TEXT PRIMARY KEY,
                        ip_address TEXT NOT NULL UNIQUE,
                        account TEXT NOT NULL,
                        region TEXT NOT NULL,
                        status TEXT NOT NULL,
                        settles_to TEXT,
                        settles_at BIGINT,
                        bandwidth BIGINT NOT NULL,
                        internet_charge_type TEXT NOT NULL,
                        instance_charge_type TEXT NOT NULL,
                        isp TEXT NOT NULL,
                        public_ip_address_pool_id TEXT,
                        resource_group_id TEXT,
                        name TEXT,
                        description TEXT,
                        bandwidth_package_id TEXT,
                        instance_id TEXT,
                        private_ip_address TEXT,
                        client_token TEXT,
                        tags TEXT NOT NULL,
                        created_at BIGINT NOT NULL
                    )
                    """,
                    """
                    CREATE UNIQUE INDEX IF NOT EXISTS sim_eips_client_token ON sim_eips (account, client_token)
                    WHERE client_token IS NOT NULL
                    """,
                    """
                    CREATE TABLE IF NOT EXISTS sim_enis (
                        account TEXT NOT NULL,
                        vpc_id TEXT NOT NULL,
                        private_ip_address TEXT NOT NULL,
                        network_interface_id TEXT NOT NULL UNIQUE,
                        PRIMARY KEY (account, vpc_id, private_ip_address)
                    )
                    """,
                    """
                    CREATE TABLE IF NOT EXISTS sim_counters (
                        name TEXT PRIMARY KEY,
                        value BIGINT NOT NULL
                    )
                    """,
                ]),
            Migration(
                version: 2, name: "shared bandwidth packages",
                statements: [
                    """
                    CREATE TABLE sim_bandwidth_packages (
                        id TEXT PRIMARY KEY,
                        account TEXT NOT NULL,
                        region TEXT NOT NULL,
                        bandwidth BIGINT NOT NULL,
                        isp TEXT NOT NULL,
                        created_at BIGINT NOT NULL
                    )
                    """
                ]),
        ])
}
