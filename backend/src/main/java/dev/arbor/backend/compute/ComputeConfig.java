package dev.arbor.backend.compute;

import dev.arbor.backend.compute.process.PgInstall;

import java.nio.file.Path;
import java.time.Duration;

/**
 * @param dataDir               endpoints live in {@code dataDir/compute/<endpoint-id>/} (mount point, socket, log)
 * @param pg                    PostgreSQL binaries and the OS user they run as
 * @param defaultSuspendTimeout idle time before an endpoint with {@code suspend_timeout_seconds = 0} is suspended
 * @param startTimeout          how long a postgres may take to accept connections
 * @param reaperInterval        how often idle endpoints are looked for
 */
public record ComputeConfig(Path dataDir, PgInstall pg, Duration defaultSuspendTimeout, Duration startTimeout,
                            Duration reaperInterval) {
    public static ComputeConfig defaults(Path dataDir) {
        return new ComputeConfig(dataDir, PgInstall.locate(), Duration.ofMinutes(5), Duration.ofSeconds(60),
                Duration.ofSeconds(1));
    }

    public ComputeConfig withDefaultSuspendTimeout(Duration d) {
        return new ComputeConfig(dataDir, pg, d, startTimeout, reaperInterval);
    }

    public Path computeDir() { return dataDir.resolve("compute"); }
}
