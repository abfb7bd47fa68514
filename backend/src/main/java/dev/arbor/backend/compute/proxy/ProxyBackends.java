package dev.arbor.backend.compute.proxy;

import dev.arbor.storage.BranchPoint;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** What the proxy needs from compute. {@link dev.arbor.backend.compute.ComputeManager} implements it. */
public interface ProxyBackends {
    /**
     * What a client asked for, from metadata only (nothing starts): an endpoint id, or a branch id (its
     * read_write endpoint, else its first), optionally at a past point (a read-only time-travel compute). Blocks.
     * @throws dev.arbor.backend.compute.EndpointNotFound if there is no such endpoint or branch
     */
    ProxyTarget resolve(String endpointOrBranchId, Optional<BranchPoint> at) throws Exception;

    /**
     * Starts the target's compute if it is suspended; returns its postgres' private unix socket, on which the
     * proxy is trusted (it reads role verifiers there, and logs in as a client it has authenticated). Blocks.
     * @throws dev.arbor.storage.StorageException.InvalidLsn for a time-travel point outside the history window
     */
    Path wake(ProxyTarget target) throws Exception;

    void connectionOpened(String computeId);

    void connectionClosed(String computeId);

    /** Sockets of every running postgres (a cancel request is forwarded to all; only the owner of the key acts). */
    List<Path> runningSockets();
}
