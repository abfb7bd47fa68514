package dev.arbor.backend.api;

import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The HTTP front: Vert.x parses requests on the event loop, then every handler (authentication and
 * metadata transactions included) runs on a virtual thread; the answer is written back on the event
 * loop. Errors are Neon's {@code {code, message, request_id}}.
 */
public final class HttpApi implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
    public static final String PREFIX = "/api/v2";
    public static final long MAX_BODY_BYTES = 1024 * 1024;

    private final Vertx vertx;
    private final Router router;
    private final Authenticator auth;
    private final ExecutorService workers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("api-", 0).factory());
    private HttpServer server;
    /** Runs before every route once the body is read (cluster mode: sends a project's requests to its node). */
    private volatile io.vertx.core.Handler<RoutingContext> gate = RoutingContext::next;

    public HttpApi(Vertx vertx, Authenticator auth, List<java.util.function.Consumer<Routes>> apis) {
        this.vertx = vertx;
        this.auth = auth;
        this.router = Router.router(vertx);
        router.route().handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
        router.route().handler(ctx -> gate.handle(ctx));
        Routes routes = this::register;
        apis.forEach(a -> a.accept(routes));
        router.route().last().handler(ctx -> sendError(ctx, new ApiException(404, "NOT_FOUND",
                "no API route " + ctx.request().method() + " " + ctx.request().path()), RequestIds.of(ctx)));
        router.route().failureHandler(ctx -> {
            int status = ctx.statusCode();
            ApiException e;
            if (status == 413) e = ApiException.tooLarge("request body exceeds " + MAX_BODY_BYTES + " bytes");
            else if (status == 405) e = new ApiException(405, "METHOD_NOT_ALLOWED", "method not allowed on " + ctx.request().path());
            else if (status >= 400 && status < 500) e = new ApiException(status, "BAD_REQUEST", "malformed request");
            else {
                log.error("unhandled failure on {} {}", ctx.request().method(), ctx.request().path(), ctx.failure());
                e = new ApiException(500, "INTERNAL_ERROR", "internal error");
            }
            sendError(ctx, e, RequestIds.of(ctx));
        });
    }

    private void register(HttpMethod method, String path, Routes.Handler handler) {
        router.route(method, PREFIX + path).handler(ctx -> {
            String requestId = RequestIds.of(ctx);
            Context vctx = Vertx.currentContext();
            String header = ctx.request().getHeader("Authorization");
            String remote = ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().hostAddress();
            Map<String, String> params = Map.copyOf(ctx.pathParams());
            MultiMap query;
            try {
                query = MultiMap.caseInsensitiveMultiMap().addAll(ctx.queryParams());
            } catch (RuntimeException e) {
                sendError(ctx, ApiException.badRequest("malformed query string"), requestId);
                return;
            }
            String body = ctx.body() == null || ctx.body().buffer() == null ? null : ctx.body().asString();
            workers.execute(RequestIds.bind(requestId, () -> {
                Reply reply = null;
                ApiException error = null;
                try {
                    Principal p = auth.authenticate(header, remote);
                    reply = handler.handle(new Req(p, params, query, body));
                } catch (ApiException e) {
                    error = e;
                } catch (Throwable t) {
                    log.error("request {} {} {} failed", requestId, method, ctx.request().path(), t);
                    error = new ApiException(500, "INTERNAL_ERROR", "internal error (request " + requestId + ")");
                }
                Reply r = reply;
                ApiException err = error;
                vctx.runOnContext(v -> {
                    if (err != null) sendError(ctx, err, requestId);
                    else send(ctx, r, requestId);
                });
            }));
        });
    }

    private static void send(RoutingContext ctx, Reply reply, String requestId) {
        var resp = ctx.response().setStatusCode(reply.status()).putHeader("x-request-id", requestId);
        if (reply.body() == null) {
            resp.end();
            return;
        }
        String json = reply.body() instanceof JsonObject o ? o.encode() : ((JsonArray) reply.body()).encode();
        resp.putHeader("content-type", "application/json").end(json);
    }

    private static void sendError(RoutingContext ctx, ApiException e, String requestId) {
        if (ctx.response().ended()) return;
        JsonObject body = new JsonObject().put("code", e.code()).put("message", e.getMessage()).put("request_id", requestId);
        ctx.response().setStatusCode(e.status()).putHeader("content-type", "application/json")
                .putHeader("x-request-id", requestId).end(body.encode());
    }

    /** Installs the handler every request passes first; it calls {@code ctx.next()} to let the API serve it. */
    public void gate(io.vertx.core.Handler<RoutingContext> gate) { this.gate = gate; }

    /** The router, for APIs that need raw bodies or their own body limit (Terraform state). */
    public Router router() { return router; }

    /** Binds and returns the port actually bound. */
    public int listen(String host, int port) {
        server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port).setCompressionSupported(false))
                .requestHandler(router);
        return server.listen().await().actualPort();
    }

    @Override
    public void close() {
        if (server != null) server.close().await();
        workers.shutdownNow();
    }
}
