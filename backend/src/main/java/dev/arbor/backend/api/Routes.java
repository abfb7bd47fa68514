package dev.arbor.backend.api;

import io.vertx.core.http.HttpMethod;

/** Where resource APIs register their handlers; paths are relative to {@code /api/v2}. */
public interface Routes {
    @FunctionalInterface
    interface Handler {
        Reply handle(Req req) throws Exception;
    }

    void add(HttpMethod method, String path, Handler handler);

    default void get(String path, Handler h) { add(HttpMethod.GET, path, h); }
    default void post(String path, Handler h) { add(HttpMethod.POST, path, h); }
    default void patch(String path, Handler h) { add(HttpMethod.PATCH, path, h); }
    default void put(String path, Handler h) { add(HttpMethod.PUT, path, h); }
    default void delete(String path, Handler h) { add(HttpMethod.DELETE, path, h); }
}
