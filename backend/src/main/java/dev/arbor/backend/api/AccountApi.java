package dev.arbor.backend.api;

import dev.arbor.backend.meta.ApiKeys;
import dev.arbor.backend.meta.Projects;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Optional;
import java.util.function.Consumer;

/**
 * The account-level calls clients make before real work: {@code /users/me}, {@code /users/me/organizations},
 * {@code /auth}, {@code /regions}, and API key management under {@code /api_keys}.
 */
public final class AccountApi implements Consumer<Routes> {
    private final Control ctl;

    public AccountApi(Control ctl) { this.ctl = ctl; }

    @Override
    public void accept(Routes r) {
        r.get("/users/me", req -> Reply.ok(new JsonObject()
                .put("id", Views.OWNER_ID).put("email", "admin@arbor.local").put("name", "Arbor").put("last_name", "Admin")
                .put("image", "").put("login", "admin").put("plan", "self-hosted").put("auth_accounts", new JsonArray())
                .put("projects_limit", ctl.quotas().maxProjects()).put("branches_limit", ctl.quotas().maxBranchesPerProject())
                .put("max_autoscaling_limit", EndpointInput.MAX_CU).put("active_seconds_limit", 0)
                .put("compute_seconds_limit", 0)
                .put("billing_account", new JsonObject().put("payment_source", new JsonObject().put("type", "none"))
                        .put("subscription_type", "free_v3").put("email", "admin@arbor.local"))));
        // no organizations: neonctl then lists projects without an org_id
        r.get("/users/me/organizations", req -> Reply.ok(new JsonObject().put("organizations", new JsonArray())));
        r.get("/auth", req -> Reply.ok(new JsonObject().put("account_id", Views.OWNER_ID)
                .put("auth_method", req.principal().admin() ? "api_key_org" : "api_key_user")));
        r.get("/regions", req -> Reply.ok(new JsonObject().put("regions", new JsonArray().add(new JsonObject()
                .put("region_id", ConnectionInfo.REGION).put("name", "Local").put("default", true)
                .put("geo_lat", "0").put("geo_long", "0")))));
        r.get("/api_keys", this::listKeys);
        r.post("/api_keys", this::createKey);
        r.delete("/api_keys/:key_id", this::revokeKey);
    }

    private Reply listKeys(Req req) {
        req.principal().requireAdmin("manage API keys");
        return Reply.ok(Views.array(ctl.db().tx(ApiKeys::listLive), ctl.views()::apiKey));
    }

    private Reply createKey(Req req) {
        req.principal().requireAdmin("manage API keys");
        JsonObject in = req.body();
        String name = Names.displayName(Req.requiredStr(in, "key_name", "key_name"), "key_name", 64);
        Optional<String> project = Req.str(in, "project_id", "project_id");
        project.ifPresent(p -> { if (!Req.ID.matcher(p).matches()) throw ApiException.badRequest("project_id must match ^[a-z0-9-]{1,60}$"); });
        Optional<Double> rate = Req.num(in, "rate_limit_per_second", "rate_limit_per_second");
        rate.ifPresent(r -> { if (r < 1 || r > 100_000) throw ApiException.badRequest("rate_limit_per_second must be between 1 and 100000"); });
        String key = ApiKeys.generate();
        var created = ctl.db().tx(c -> {
            if (project.isPresent() && Projects.get(c, project.get()).isEmpty()) {
                throw ApiException.notFound("project " + project.get() + " not found");
            }
            return ApiKeys.insert(c, name, key, project.orElse(null), req.principal().keyName(), rate.orElse(null));
        });
        return Reply.ok(ctl.views().apiKey(created).put("key", key));
    }

    private Reply revokeKey(Req req) {
        req.principal().requireAdmin("manage API keys");
        String raw = req.pathName("key_id");
        long id;
        try {
            id = Long.parseLong(raw);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("key_id must be an integer, got " + Req.quote(raw));
        }
        if (id == req.principal().keyId()) throw ApiException.conflict("an API key cannot revoke itself");
        var revoked = ctl.db().tx(c -> ApiKeys.revoke(c, id)).orElseThrow(() -> ApiException.notFound("API key " + id + " not found"));
        ctl.auth().evict(id);
        return Reply.ok(ctl.views().apiKey(revoked).put("revoked", true));
    }
}
