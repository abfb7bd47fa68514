package dev.arbor.backend.api;

import dev.arbor.backend.api.BranchObjects.Key;
import dev.arbor.backend.meta.Branches.Branch;
import dev.arbor.backend.meta.Databases;
import dev.arbor.backend.meta.Projects.Project;
import dev.arbor.backend.meta.Roles;
import dev.arbor.backend.meta.Roles.Role;
import dev.arbor.backend.meta.Secrets;
import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Consumer;

/** {@code …/branches/{id}/roles}: create, list, get, delete, reveal_password, reset_password. */
public final class RolesApi implements Consumer<Routes> {
    private static final String NAME = "role_name";
    private final Control ctl;

    public RolesApi(Control ctl) { this.ctl = ctl; }

    @Override
    public void accept(Routes r) {
        String item = BranchObjects.routes(r, "roles", NAME, this::create, this::list, this::get, this::delete);
        r.get(item + "/reveal_password", this::reveal);
        r.post(item + "/reset_password", this::reset);
    }

    private Reply create(Req req) {
        String projectId = req.project();
        String branchId = req.id("branch_id");
        JsonObject in = Req.requiredObj(req.body(), "role", "role");
        String name = Names.roleName(Req.requiredStr(in, "name", "role.name"), "role.name");
        boolean noLogin = Req.bool(in, "no_login", "role.no_login").orElse(false);
        String password = noLogin ? null : Secrets.newPassword();
        OpBatch ops = new OpBatch();
        return ctl.mutate(ops, c -> {
            Control.lockProject(c, projectId);
            Branch b = Control.branch(c, projectId, branchId);
            if (Roles.get(c, branchId, name).isPresent()) throw ApiException.conflict("role " + name + " already exists on branch " + branchId);
            Instant now = Instant.now();
            Role role = new Role(branchId, name, Optional.ofNullable(password).map(ctl.secrets()::encrypt), false, noLogin, now, now);
            Roles.insert(c, role);
            BranchObjects.applyConfig(c, ops, b);
            return Reply.created(new JsonObject().put("role", ctl.views().role(role, password)).put("operations", ops.json(ctl.views())));
        });
    }

    private Reply list(Req req) {
        String projectId = req.project();
        String branchId = req.id("branch_id");
        return ctl.db().tx(c -> {
            BranchObjects.branch(c, projectId, branchId);
            return Reply.ok(new JsonObject().put("roles", Views.array(Roles.byBranch(c, branchId), r -> ctl.views().role(r, null))));
        });
    }

    private static Role role(Connection c, Key k) throws SQLException {
        return BranchObjects.find(c, k, Roles::get, "role");
    }

    private Reply get(Req req) {
        Key k = Key.of(req, NAME);
        return ctl.db().tx(c -> Reply.ok(new JsonObject().put("role", ctl.views().role(role(c, k), null))));
    }

    private Reply delete(Req req) {
        return BranchObjects.delete(ctl, req, NAME, Roles::get, (c, r) -> {
            if (r.isProtected()) throw ApiException.conflict("role " + r.name() + " is protected");
            if (Databases.ownedBy(c, r.branchId(), r.name())) {
                throw ApiException.conflict("role " + r.name() + " owns databases on branch " + r.branchId()
                        + "; delete them or change their owner first");
            }
            Roles.delete(c, r.branchId(), r.name());
        }, "role", r -> ctl.views().role(r, null));
    }

    private Reply reveal(Req req) {
        Key k = Key.of(req, NAME);
        return ctl.db().tx(c -> {
            Project p = Control.project(c, k.projectId());
            Role r = role(c, k);
            if (!p.storePasswords()) throw ApiException.preconditionFailed("project " + k.projectId() + " does not store passwords");
            String pw = r.passwordEnc().map(ctl.secrets()::decrypt)
                    .orElseThrow(() -> ApiException.preconditionFailed("role " + k.name() + " has no password (no_login)"));
            return Reply.ok(new JsonObject().put("password", pw));
        });
    }

    private Reply reset(Req req) {
        Key k = Key.of(req, NAME);
        String password = Secrets.newPassword();
        OpBatch ops = new OpBatch();
        return ctl.mutate(ops, c -> {
            Control.lockProject(c, k.projectId());
            Role r = role(c, k);
            if (r.noLogin()) throw ApiException.preconditionFailed("role " + k.name() + " cannot log in (no_login); it has no password");
            Instant now = Instant.now();
            Roles.setPassword(c, k.branchId(), k.name(), ctl.secrets().encrypt(password), now);
            BranchObjects.applyConfig(c, ops, Control.branch(c, k.projectId(), k.branchId()));
            Role u = new Role(r.branchId(), r.name(), r.passwordEnc(), r.isProtected(), r.noLogin(), r.createdAt(), now);
            return Reply.ok(new JsonObject().put("role", ctl.views().role(u, password)).put("operations", ops.json(ctl.views())));
        });
    }
}
