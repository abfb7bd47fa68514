package dev.arbor.backend.api;

import dev.arbor.backend.api.BranchObjects.Key;
import dev.arbor.backend.meta.Branches.Branch;
import dev.arbor.backend.meta.Databases;
import dev.arbor.backend.meta.Databases.Database;
import dev.arbor.backend.meta.Roles;
import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Consumer;

/** {@code …/branches/{id}/databases}: create, list, get, update, delete. */
public final class DatabasesApi implements Consumer<Routes> {
    private static final String NAME = "database_name";
    private final Control ctl;

    public DatabasesApi(Control ctl) { this.ctl = ctl; }

    @Override
    public void accept(Routes r) {
        String item = BranchObjects.routes(r, "databases", NAME, this::create, this::list, this::get, this::delete);
        r.patch(item, this::update);
    }

    private static void checkOwner(Connection c, String branchId, String owner) throws SQLException {
        if (Roles.get(c, branchId, owner).isEmpty()) {
            throw ApiException.badRequest("owner role " + owner + " does not exist on branch " + branchId);
        }
    }

    private Reply create(Req req) {
        String projectId = req.project();
        String branchId = req.id("branch_id");
        JsonObject in = Req.requiredObj(req.body(), "database", "database");
        String name = Names.databaseName(Req.requiredStr(in, "name", "database.name"), "database.name");
        String owner = Names.roleName(Req.requiredStr(in, "owner_name", "database.owner_name"), "database.owner_name");
        OpBatch ops = new OpBatch();
        return ctl.mutate(ops, c -> {
            Control.lockProject(c, projectId);
            Branch b = Control.branch(c, projectId, branchId);
            if (Databases.get(c, branchId, name).isPresent()) throw ApiException.conflict("database " + name + " already exists on branch " + branchId);
            checkOwner(c, branchId, owner);
            Database d = Databases.insert(c, branchId, name, owner, Instant.now());
            BranchObjects.applyConfig(c, ops, b);
            return Reply.created(new JsonObject().put("database", ctl.views().database(d)).put("operations", ops.json(ctl.views())));
        });
    }

    private Reply list(Req req) {
        String projectId = req.project();
        String branchId = req.id("branch_id");
        return ctl.db().tx(c -> {
            BranchObjects.branch(c, projectId, branchId);
            return Reply.ok(new JsonObject().put("databases", Views.array(Databases.byBranch(c, branchId), ctl.views()::database)));
        });
    }

    private static Database database(Connection c, Key k) throws SQLException {
        return BranchObjects.find(c, k, Databases::get, "database");
    }

    private Reply get(Req req) {
        Key k = Key.of(req, NAME);
        return ctl.db().tx(c -> Reply.ok(new JsonObject().put("database", ctl.views().database(database(c, k)))));
    }

    private Reply update(Req req) {
        Key k = Key.of(req, NAME);
        String branchId = k.branchId();
        JsonObject in = Req.requiredObj(req.body(), "database", "database");
        Optional<String> newName = Req.str(in, "name", "database.name").map(n -> Names.databaseName(n, "database.name"));
        Optional<String> owner = Req.str(in, "owner_name", "database.owner_name").map(n -> Names.roleName(n, "database.owner_name"));
        OpBatch ops = new OpBatch();
        return ctl.mutate(ops, c -> {
            Control.lockProject(c, k.projectId());
            Database d = database(c, k);
            if (newName.isPresent() && !newName.get().equals(k.name()) && Databases.get(c, branchId, newName.get()).isPresent()) {
                throw ApiException.conflict("database " + newName.get() + " already exists on branch " + branchId);
            }
            if (owner.isPresent()) checkOwner(c, branchId, owner.get());
            Instant now = Instant.now();
            Databases.update(c, d.id(), newName.orElse(d.name()), owner.orElse(d.ownerName()), now);
            BranchObjects.applyConfig(c, ops, Control.branch(c, k.projectId(), branchId));
            Database u = new Database(d.id(), d.branchId(), newName.orElse(d.name()), owner.orElse(d.ownerName()), d.createdAt(), now);
            return Reply.ok(new JsonObject().put("database", ctl.views().database(u)).put("operations", ops.json(ctl.views())));
        });
    }

    private Reply delete(Req req) {
        return BranchObjects.delete(ctl, req, NAME, Databases::get, (c, d) -> Databases.delete(c, d.id()),
                "database", ctl.views()::database);
    }
}
