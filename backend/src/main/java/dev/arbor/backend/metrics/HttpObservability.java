package dev.arbor.backend.metrics;

import dev.arbor.backend.api.RequestIds;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.Set;

/**
 * The first handler of every request on a router: assigns the request id (header, MDC), and when the
 * response ends records its latency by route template and status and writes one access-log line.
 */
public final class HttpObservability {
    private static final Logger access = LoggerFactory.getLogger("dev.arbor.backend.access");
    private static final Set<String> PROBES = Set.of("/healthz", "/readyz", "/metrics");

    private HttpObservability() {}

    public static void install(Router router, ArborMetrics metrics) {
        router.route().order(Integer.MIN_VALUE).handler(ctx -> handle(ctx, metrics));  // before every other route, whatever its order
    }

    private static void handle(RoutingContext ctx, ArborMetrics metrics) {
        long t0 = System.nanoTime();
        String id = RequestIds.of(ctx);
        ctx.response().putHeader(RequestIds.HEADER, id);
        ctx.addEndHandler(v -> {
            long nanos = System.nanoTime() - t0;
            Route route = ctx.currentRoute();
            String template = route == null || route.getPath() == null ? "unmatched" : route.getPath();
            int status = ctx.response().getStatusCode();
            String method = ctx.request().method().name();
            if (metrics != null) metrics.request(method, template, status, nanos);
            var event = status >= 500 ? access.atWarn() : PROBES.contains(template) ? access.atDebug() : access.atInfo();
            event.addKeyValue(RequestIds.MDC_KEY, id).addKeyValue("method", method).addKeyValue("path", ctx.request().path())
                    .addKeyValue("route", template).addKeyValue("status", status)
                    .addKeyValue("duration_ms", Math.round(nanos / 1e4) / 100.0).log("http request");
        });
        // Handlers that run synchronously from here (routing, failure handlers) log with the id; async
        // continuations set it themselves (HttpApi binds it on the worker thread).
        MDC.put(RequestIds.MDC_KEY, id);
        try {
            ctx.next();
        } finally {
            MDC.remove(RequestIds.MDC_KEY);
        }
    }
}
