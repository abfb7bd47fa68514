package dev.arbor.backend.cluster;

import dev.arbor.backend.api.RequestIds;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cluster mode: a request about a project (anything under {@code /api/v2/projects/<id>}) is answered by the
 * node serving that project, since only it has the project's timelines and endpoints. Any node accepts it
 * (clients and neonctl keep one API URL) and relays it unchanged, Authorization included: the serving node
 * authenticates it against the shared metadata. A request already relayed once is never relayed again.
 */
public final class ProjectForwarding implements Handler<RoutingContext> {
    static final String FORWARDED_BY = "x-arbor-forwarded-by";
    /** On every answer about a project: the node that served it (operators, tests). */
    public static final String SERVED_BY = "x-arbor-node";
    private static final Pattern PROJECT = Pattern.compile("^/api/v2/projects/([^/]+)(/.*)?$");
    /** Hop-by-hop headers, and those the client recomputes. */
    private static final Set<String> NOT_RELAYED = Set.of("host", "connection", "keep-alive", "transfer-encoding",
            "content-length", "upgrade", "te", "trailer", "proxy-connection");

    private final Vertx vertx;
    private final ClusterNode node;
    private final HttpClient client;

    public ProjectForwarding(Vertx vertx, ClusterNode node) {
        this.vertx = vertx;
        this.node = node;
        this.client = vertx.createHttpClient();
    }

    @Override
    public void handle(RoutingContext ctx) {
        Matcher m = PROJECT.matcher(ctx.request().path());
        if (!m.matches()) {
            ctx.next();
            return;
        }
        String projectId = URLDecoder.decode(m.group(1), StandardCharsets.UTF_8);
        vertx.executeBlocking(() -> node.route(projectId), false).onComplete(r -> {
            if (r.failed()) {
                error(ctx, 503, "SERVICE_UNAVAILABLE", "cannot tell which node serves project " + projectId + ": " + r.cause().getMessage());
            } else if (r.result() instanceof ClusterNode.Route.Remote remote) {
                if (ctx.request().getHeader(FORWARDED_BY) != null) {
                    // the lease moved while the request was on its way: the client retries
                    error(ctx, 503, "PROJECT_MOVING", "project " + projectId + " is moving to node " + remote.nodeId() + "; retry");
                } else {
                    relay(ctx, remote);
                }
            } else {
                ctx.response().putHeader(SERVED_BY, node.config().nodeId());
                ctx.next();
            }
        });
    }

    private void relay(RoutingContext ctx, ClusterNode.Route.Remote to) {
        String base = to.apiUrl().endsWith("/api/v2") ? to.apiUrl().substring(0, to.apiUrl().length() - "/api/v2".length()) : to.apiUrl();
        var in = ctx.request();
        Buffer body = ctx.body() == null || ctx.body().buffer() == null ? Buffer.buffer() : ctx.body().buffer();
        client.request(new RequestOptions().setMethod(in.method()).setAbsoluteURI(base + in.uri()))
                .compose(out -> {
                    in.headers().forEach(h -> {
                        if (!NOT_RELAYED.contains(h.getKey().toLowerCase(java.util.Locale.ROOT))) out.headers().add(h.getKey(), h.getValue());
                    });
                    out.putHeader(FORWARDED_BY, node.config().nodeId());
                    return out.send(body);
                })
                .compose(resp -> resp.body().map(b -> new Relayed(resp, b)))
                .onComplete(ar -> {
                    if (ar.failed()) {
                        error(ctx, 503, "SERVICE_UNAVAILABLE", "node " + to.nodeId() + " serving this project did not answer: "
                                + ar.cause().getMessage());
                        return;
                    }
                    HttpClientResponse resp = ar.result().response();
                    var outResp = ctx.response().setStatusCode(resp.statusCode());
                    resp.headers().forEach(h -> {
                        if (!NOT_RELAYED.contains(h.getKey().toLowerCase(java.util.Locale.ROOT))) outResp.headers().add(h.getKey(), h.getValue());
                    });
                    outResp.end(ar.result().body());
                });
    }

    private record Relayed(HttpClientResponse response, Buffer body) {}

    private static void error(RoutingContext ctx, int status, String code, String message) {
        if (ctx.response().ended()) return;
        String requestId = RequestIds.of(ctx);
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json").putHeader("x-request-id", requestId)
                .end(new JsonObject().put("code", code).put("message", message).put("request_id", requestId).encode());
    }
}
