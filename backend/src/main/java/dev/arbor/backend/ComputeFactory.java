package dev.arbor.backend;

import dev.arbor.backend.ops.ComputeControl;
import dev.arbor.backend.ops.EndpointRegistry;
import dev.arbor.backend.ops.NoCompute;
import dev.arbor.storage.PageStore;
import io.vertx.core.Vertx;

/** Makes the server's {@link ComputeControl} once the store, registry and Vert.x exist. */
@FunctionalInterface
public interface ComputeFactory {
    ComputeControl create(ServerConfig config, PageStore store, EndpointRegistry registry, Vertx vertx) throws Exception;

    /** No compute: endpoints stay idle (see {@link NoCompute}). */
    static ComputeFactory none() { return (c, s, r, v) -> new NoCompute(); }
}
