package dev.arbor.backend.metrics;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.List;

/**
 * The unauthenticated operator endpoints: {@code /healthz} (liveness: the process answers),
 * {@code /readyz} (readiness: 200, or 503 with the failing checks) and, where enabled,
 * {@code /metrics} (Prometheus text format). Blocking work runs on worker threads, never the event loop.
 */
public final class ProbeRoutes {
    private ProbeRoutes() {}

    /** @param metrics null: no {@code /metrics} on this router (it has its own listener) */
    public static void mount(Router router, Readiness readiness, ArborMetrics metrics) {
        router.get("/healthz").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "ok")));
        router.get("/readyz").handler(ctx -> ctx.vertx().executeBlocking(readiness::run, false).onComplete(done -> {
            if (done.failed()) {
                json(ctx, 503, new JsonObject().put("status", "unavailable").put("reasons", new JsonArray().add(String.valueOf(done.cause()))));
                return;
            }
            json(ctx, status(done.result()), body(done.result()));
        }));
        if (metrics != null) {
            router.get("/metrics").handler(ctx -> ctx.vertx().executeBlocking(metrics::scrape, false).onComplete(done -> {
                if (done.failed()) ctx.fail(done.cause());
                else ctx.response().putHeader("content-type", Exposition.CONTENT_TYPE).end(done.result());
            }));
        }
    }

    static int status(List<Readiness.Result> results) {
        return results.stream().allMatch(Readiness.Result::ok) ? 200 : 503;
    }

    static JsonObject body(List<Readiness.Result> results) {
        JsonObject checks = new JsonObject();
        JsonArray reasons = new JsonArray();
        for (Readiness.Result r : results) {
            checks.put(r.name(), new JsonObject().put("ok", r.ok()).put("detail", r.detail()));
            if (!r.ok()) reasons.add(r.name() + ": " + r.detail());
        }
        JsonObject body = new JsonObject().put("status", reasons.isEmpty() ? "ready" : "unavailable").put("checks", checks);
        if (!reasons.isEmpty()) body.put("reasons", reasons);
        return body;
    }

    private static void json(RoutingContext ctx, int status, JsonObject body) {
        if (ctx.response().ended()) return;
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
    }
}
