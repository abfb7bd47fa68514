package dev.arbor.backend.iac;

import dev.arbor.backend.api.ApiException;
import dev.arbor.backend.api.Authenticator;
import dev.arbor.backend.api.HttpApi;
import dev.arbor.backend.api.Principal;
import dev.arbor.backend.api.RequestIds;
import dev.arbor.backend.meta.Db;
import dev.arbor.backend.meta.Projects;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Terraform's {@code http} state backend under {@code /api/v2/projects/{id}/terraform/state/{name}}:
 * GET/POST(PUT)/DELETE the state, LOCK/UNLOCK on the same address (Terraform's defaults) or POST/PUT/DELETE
 * on {@code …/lock} and POST on {@code …/unlock}, and the kept versions under {@code …/versions}.
 *
 * <p>Mounted on the API router ahead of its 1 MiB body limit because states are bigger than API requests,
 * and answering with the raw state bytes (not a re-encoded JSON) so Content-MD5 matches what was stored.
 * The API key is the basic-auth password (what {@code TF_HTTP_PASSWORD} sends) or a Bearer token.
 */
public final class TerraformStateApi {
    private static final Logger log = LoggerFactory.getLogger(TerraformStateApi.class);
    public static final String BASE = HttpApi.PREFIX + "/projects/:project_id/terraform/state/:name";
    public static final long MAX_STATE_BYTES = 32L * 1024 * 1024;
    private static final int MAX_LOCK_INFO_BYTES = 64 * 1024;
    private static final HttpMethod LOCK = HttpMethod.valueOf("LOCK");
    private static final HttpMethod UNLOCK = HttpMethod.valueOf("UNLOCK");

    private final Db db;
    private final Authenticator auth;
    private int order = -1000;

    public TerraformStateApi(Db db, Authenticator auth) {
        this.db = db;
        this.auth = auth;
    }

    @FunctionalInterface
    private interface Handler {
        Answer handle(Call call) throws Exception;
    }

    /** One request as the handlers see it. */
    private record Call(Principal principal, String project, String name, Map<String, String> path, Optional<String> lockIdParam,
                        byte[] body, Optional<String> contentMd5) {}

    /** Status, content type and bytes; headers extra. */
    private record Answer(int status, String contentType, byte[] body, Map<String, String> headers) {
        static Answer json(int status, Object json) {
            String s = json instanceof JsonObject o ? o.encode() : ((JsonArray) json).encode();
            return new Answer(status, "application/json", s.getBytes(StandardCharsets.UTF_8), Map.of());
        }

        /** Terraform reads the holder's LockInfo from a 423 body and prints it. */
        static Answer heldBy(String lockInfo) {
            return new Answer(423, "application/json", lockInfo.getBytes(StandardCharsets.UTF_8), Map.of());
        }
    }

    /** Adds the routes to the API's router, ordered before its catch-all body handler. */
    public void mount(Router router) {
        Map<HttpMethod, Handler> state = new LinkedHashMap<>();
        state.put(HttpMethod.GET, this::getState);
        state.put(HttpMethod.POST, this::putState);
        state.put(HttpMethod.PUT, this::putState);
        state.put(HttpMethod.DELETE, this::deleteState);
        state.put(LOCK, this::lock);
        state.put(UNLOCK, this::unlock);
        route(router, BASE, state);

        Map<HttpMethod, Handler> lock = new LinkedHashMap<>();
        lock.put(HttpMethod.GET, this::lockStatus);
        lock.put(HttpMethod.POST, this::lock);
        lock.put(HttpMethod.PUT, this::lock);
        lock.put(LOCK, this::lock);
        lock.put(HttpMethod.DELETE, this::unlock);
        lock.put(UNLOCK, this::unlock);
        route(router, BASE + "/lock", lock);

        Map<HttpMethod, Handler> unlock = new LinkedHashMap<>();
        unlock.put(HttpMethod.POST, this::unlock);
        unlock.put(HttpMethod.PUT, this::unlock);
        unlock.put(HttpMethod.DELETE, this::unlock);
        unlock.put(UNLOCK, this::unlock);
        route(router, BASE + "/unlock", unlock);

        route(router, BASE + "/versions", Map.of(HttpMethod.GET, this::listVersions));
        route(router, BASE + "/versions/:version", Map.of(HttpMethod.GET, this::getVersion));
    }

    private void route(Router router, String path, Map<HttpMethod, Handler> handlers) {
        String allow = handlers.keySet().stream().map(HttpMethod::name).collect(Collectors.joining(", "));
        Route r = router.route(path).order(order++);
        r.handler(BodyHandler.create(false).setBodyLimit(MAX_STATE_BYTES));
        r.handler(ctx -> {
            Handler h = handlers.get(ctx.request().method());
            if (h != null) {
                dispatch(ctx, h);
            } else {
                ctx.response().putHeader("Allow", allow);
                sendError(ctx, new ApiException(405, "METHOD_NOT_ALLOWED",
                        ctx.request().method() + " is not allowed on " + ctx.request().path() + "; allowed: " + allow));
            }
        });
        r.failureHandler(ctx -> {
            int status = ctx.statusCode();
            ApiException e;
            if (status == 413) e = ApiException.tooLarge("a Terraform state may be at most " + MAX_STATE_BYTES + " bytes");
            else if (status >= 400 && status < 500) e = ApiException.badRequest("malformed request");
            else {
                log.error("terraform state request {} {} failed", ctx.request().method(), ctx.request().path(), ctx.failure());
                e = new ApiException(500, "INTERNAL_ERROR", "internal error");
            }
            sendError(ctx, e);
        });
    }

    private void dispatch(RoutingContext ctx, Handler handler) {
        Context vctx = Vertx.currentContext();
        String header = ctx.request().getHeader("Authorization");
        String remote = ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().hostAddress();
        Map<String, String> path = Map.copyOf(ctx.pathParams());
        Optional<String> lockId;
        try {
            lockId = Optional.ofNullable(ctx.queryParams().get("ID")).filter(s -> !s.isEmpty());
        } catch (RuntimeException e) {
            sendError(ctx, ApiException.badRequest("malformed query string"));
            return;
        }
        Buffer buf = ctx.body() == null ? null : ctx.body().buffer();
        byte[] body = buf == null ? new byte[0] : buf.getBytes();
        Optional<String> md5 = Optional.ofNullable(ctx.request().getHeader("Content-MD5"));
        Thread.ofVirtual().name("tfstate").start(RequestIds.bind(RequestIds.of(ctx), () -> {
            Answer answer;
            try {
                Principal p = authenticate(header, remote);
                String project = StateNames.project(path.get("project_id"));
                p.checkProject(project);
                String name = StateNames.state(path.get("name"));
                if (db.tx(c -> Projects.get(c, project)).isEmpty()) throw ApiException.notFound("project " + project + " not found");
                answer = handler.handle(new Call(p, project, name, path, lockId, body, md5));
            } catch (ApiException e) {
                vctx.runOnContext(v -> sendError(ctx, e));
                return;
            } catch (Throwable t) {
                log.error("terraform state request {} {} failed", ctx.request().method(), ctx.request().path(), t);
                vctx.runOnContext(v -> sendError(ctx, new ApiException(500, "INTERNAL_ERROR", "internal error")));
                return;
            }
            Answer a = answer;
            vctx.runOnContext(v -> send(ctx, a));
        }));
    }

    /** Basic auth (the key is the password; the user name is ignored) or Bearer. */
    private Principal authenticate(String header, String remote) {
        if (header == null || header.isBlank()) {
            throw ApiException.unauthorized("missing API key: set it as the backend's password (TF_HTTP_PASSWORD) or send Authorization: Bearer <key>");
        }
        String h = header.strip();
        if (h.regionMatches(true, 0, "Basic ", 0, 6)) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(h.substring(6).strip()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw ApiException.unauthorized("malformed basic-auth credentials");
            }
            int colon = decoded.indexOf(':');
            String password = colon < 0 ? "" : decoded.substring(colon + 1);
            if (password.isBlank()) throw ApiException.unauthorized("the basic-auth password must be an Arbor API key (TF_HTTP_PASSWORD)");
            return auth.authenticate("Bearer " + password, remote);
        }
        return auth.authenticate(h, remote);
    }

    // ------------------------------------------------------------------ handlers

    private Answer getState(Call call) {
        var cur = db.tx(c -> TerraformStates.latest(c, call.project(), call.name()));
        if (cur.isEmpty()) throw ApiException.notFound("no Terraform state " + call.name() + " in project " + call.project());
        return raw(cur.get());
    }

    private Answer putState(Call call) {
        byte[] body = call.body();
        if (body.length == 0) throw ApiException.badRequest("the state body is empty");
        String md5Hex = HexFormat.of().formatHex(md5(body));
        if (call.contentMd5().isPresent()) {
            byte[] sent;
            try {
                sent = Base64.getDecoder().decode(call.contentMd5().get().strip());
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("Content-MD5 is not base64");
            }
            if (!HexFormat.of().formatHex(sent).equals(md5Hex)) throw ApiException.badRequest("Content-MD5 does not match the body");
        }
        JsonObject doc;
        try {
            doc = new JsonObject(Buffer.buffer(body));
        } catch (RuntimeException e) {
            throw ApiException.badRequest("the state body is not a JSON object");
        }
        Optional<Long> serial = doc.getValue("serial") instanceof Number n ? Optional.of(n.longValue()) : Optional.empty();
        Optional<String> lineage = doc.getValue("lineage") instanceof String s ? Optional.of(s) : Optional.empty();
        StateOutcome out = db.tx(c -> TerraformStates.write(c, call.project(), call.name(), call.lockIdParam(), body, md5Hex,
                serial, lineage, call.principal().keyId()));
        return switch (out) {
            case StateOutcome.Stored s -> Answer.json(200, versionJson(s.version()).put("unchanged", s.unchanged()));
            case StateOutcome.HeldBy h -> Answer.heldBy(h.lockInfo());
            case StateOutcome.NotLocked n -> throw ApiException.conflict("lock " + n.lockId() + " is not held on state " + call.name()
                    + " (it was unlocked, perhaps force-unlocked); lock again before writing");
            default -> throw new IllegalStateException(out.toString());
        };
    }

    private Answer deleteState(Call call) {
        StateOutcome out = db.tx(c -> TerraformStates.delete(c, call.project(), call.name(), call.lockIdParam()));
        return switch (out) {
            case StateOutcome.Deleted d -> Answer.json(200, new JsonObject().put("deleted", d.existed()));
            case StateOutcome.HeldBy h -> Answer.heldBy(h.lockInfo());
            default -> throw new IllegalStateException(out.toString());
        };
    }

    private Answer lock(Call call) {
        if (call.body().length > MAX_LOCK_INFO_BYTES) throw ApiException.tooLarge("lock info exceeds " + MAX_LOCK_INFO_BYTES + " bytes");
        String info = new String(call.body(), StandardCharsets.UTF_8);
        String id = lockId(info).orElseThrow(() -> ApiException.badRequest("the lock body must be Terraform's LockInfo JSON with a non-empty \"ID\""));
        StateOutcome out = db.tx(c -> TerraformStates.lock(c, call.project(), call.name(), id, info));
        return switch (out) {
            case StateOutcome.Locked l -> new Answer(200, "application/json", l.lockInfo().getBytes(StandardCharsets.UTF_8), Map.of());
            case StateOutcome.HeldBy h -> Answer.heldBy(h.lockInfo());
            default -> throw new IllegalStateException(out.toString());
        };
    }

    /** The body's LockInfo ID must name the holder; an empty body without {@code ?ID=} is a force unlock (what {@code terraform force-unlock} sends). */
    private Answer unlock(Call call) {
        Optional<String> id;
        if (call.body().length == 0) {
            id = call.lockIdParam();
        } else {
            id = lockId(new String(call.body(), StandardCharsets.UTF_8))
                    .or(call::lockIdParam)
                    .or(() -> { throw ApiException.badRequest("the unlock body must be the LockInfo JSON of the holder, or empty to force"); });
        }
        StateOutcome out = db.tx(c -> TerraformStates.unlock(c, call.project(), call.name(), id));
        return switch (out) {
            case StateOutcome.Unlocked u -> {
                if (u.wasLocked() && id.isEmpty()) log.info("terraform state {}/{} force-unlocked by API key {}", call.project(), call.name(), call.principal().keyId());
                yield Answer.json(200, new JsonObject().put("unlocked", u.wasLocked()));
            }
            case StateOutcome.HeldBy h -> Answer.heldBy(h.lockInfo());
            default -> throw new IllegalStateException(out.toString());
        };
    }

    private Answer lockStatus(Call call) {
        Optional<String> info = db.tx(c -> TerraformStates.lockInfo(c, call.project(), call.name()));
        JsonObject o = new JsonObject().put("locked", info.isPresent());
        info.ifPresent(i -> o.put("lock", new JsonObject(i)));
        return Answer.json(200, o);
    }

    private Answer listVersions(Call call) {
        var list = db.tx(c -> TerraformStates.exists(c, call.project(), call.name())
                ? Optional.of(TerraformStates.versions(c, call.project(), call.name())) : Optional.<java.util.List<StateVersion>>empty());
        if (list.isEmpty()) throw ApiException.notFound("no Terraform state " + call.name() + " in project " + call.project());
        JsonArray a = new JsonArray();
        list.get().forEach(v -> a.add(versionJson(v)));
        return Answer.json(200, new JsonObject().put("versions", a));
    }

    private Answer getVersion(Call call) {
        int n = StateNames.version(call.path().get("version"));
        var cur = db.tx(c -> TerraformStates.version(c, call.project(), call.name(), n));
        if (cur.isEmpty()) throw ApiException.notFound("no version " + n + " of Terraform state " + call.name() + " in project " + call.project());
        return raw(cur.get());
    }

    // ------------------------------------------------------------------ helpers

    private static Answer raw(TerraformStates.Current cur) {
        StateVersion v = cur.version();
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Content-MD5", Base64.getEncoder().encodeToString(HexFormat.of().parseHex(v.md5Hex())));
        h.put("X-Arbor-State-Version", Integer.toString(v.version()));
        v.serial().ifPresent(s -> h.put("X-Terraform-Serial", Long.toString(s)));
        return new Answer(200, "application/json", cur.body(), h);
    }

    static JsonObject versionJson(StateVersion v) {
        JsonObject o = new JsonObject().put("version", v.version()).put("md5", v.md5Hex()).put("size_bytes", v.sizeBytes())
                .put("created_at", v.createdAt().toString());
        v.serial().ifPresent(s -> o.put("serial", s));
        v.lineage().ifPresent(l -> o.put("lineage", l));
        return o;
    }

    private static Optional<String> lockId(String json) {
        try {
            Object id = new JsonObject(json).getValue("ID");
            return id instanceof String s && !s.isBlank() && s.length() <= 256 ? Optional.of(s) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static byte[] md5(byte[] b) {
        try {
            return MessageDigest.getInstance("MD5").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void send(RoutingContext ctx, Answer a) {
        if (ctx.response().ended()) return;
        var resp = ctx.response().setStatusCode(a.status()).putHeader("content-type", a.contentType())
                .putHeader("x-request-id", RequestIds.of(ctx));
        a.headers().forEach(resp::putHeader);
        resp.end(Buffer.buffer(a.body()));
    }

    private static void sendError(RoutingContext ctx, ApiException e) {
        if (ctx.response().ended()) return;
        String rid = RequestIds.of(ctx);
        JsonObject body = new JsonObject().put("code", e.code()).put("message", e.getMessage()).put("request_id", rid);
        ctx.response().setStatusCode(e.status()).putHeader("content-type", "application/json")
                .putHeader("x-request-id", rid).end(body.encode());
    }
}
