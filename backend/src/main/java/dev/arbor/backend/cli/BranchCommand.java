package dev.arbor.backend.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;

/** {@code arbor branch create|list|reset|restore|delete}. */
@Command(name = "branch", mixinStandardHelpOptions = true, description = "Create, list, reset, restore and delete branches.",
        subcommands = {BranchCommand.Create.class, BranchCommand.ListBranches.class, BranchCommand.Reset.class,
                BranchCommand.Restore.class, BranchCommand.Delete.class})
public final class BranchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    static void show(Session s, JsonObject answer, JsonObject branch) {
        if (s.json) {
            s.printJson(answer);
            return;
        }
        List<JsonObject> all = s.branches();
        Table t = new Table("ID", "NAME", "PARENT", "DEFAULT", "STATE", "CREATED");
        t.row(branch.getString("id"), branch.getString("name"), s.branchName(all, branch.getString("parent_id")),
                branch.getBoolean("default", false), branch.getString("current_state"), branch.getString("created_at"));
        t.print(s.out);
        JsonArray uris = answer.getJsonArray("connection_uris");
        if (uris != null && !uris.isEmpty()) s.out.println("connection: " + uris.getJsonObject(0).getString("connection_uri"));
    }

    /** The branch as it is now that its operations are done (create/restore answers show it as it was). */
    static JsonObject current(Session s, JsonObject b) {
        return s.api.get(s.projectPath() + "/branches/" + b.getString("id")).getJsonObject("branch");
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a branch (with a read_write endpoint unless --no-endpoint).")
    static final class Create extends ApiCommand {
        @Option(names = "--name", description = "Branch name (default: generated).")
        String name;

        @Option(names = "--parent", description = "Parent branch id or name (default: the default branch).")
        String parent;

        @Option(names = "--no-endpoint", description = "Create the branch without a compute endpoint.")
        boolean noEndpoint;

        @Option(names = "--protected", description = "Protect the branch.")
        boolean protect;

        @Override
        void run(Session s) {
            JsonObject b = new JsonObject();
            if (name != null) b.put("name", name);
            if (parent != null) b.put("parent_id", s.branch(parent).getString("id"));
            if (protect) b.put("protected", true);
            JsonArray eps = noEndpoint ? new JsonArray() : new JsonArray().add(new JsonObject().put("type", "read_write"));
            JsonObject r = s.api.post(s.projectPath() + "/branches", new JsonObject().put("branch", b).put("endpoints", eps));
            s.await(r);
            show(s, r, current(s, r.getJsonObject("branch")));
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the project's branches.")
    static final class ListBranches extends ApiCommand {
        @Override
        void run(Session s) {
            List<JsonObject> all = s.branches();
            if (s.json) {
                s.printJson(new JsonObject().put("branches", new JsonArray(all)));
                return;
            }
            Table t = new Table("ID", "NAME", "PARENT", "DEFAULT", "PROTECTED", "STATE", "LOGICAL SIZE", "CREATED");
            for (JsonObject b : all) {
                Long size = b.getLong("logical_size");
                t.row(b.getString("id"), b.getString("name"), s.branchName(all, b.getString("parent_id")), b.getBoolean("default", false),
                        b.getBoolean("protected", false), b.getString("current_state"), size == null ? "" : OperationWatcher.bytes(size),
                        b.getString("created_at"));
            }
            t.print(s.out);
        }
    }

    @Command(name = "reset", mixinStandardHelpOptions = true, description = "Reset a branch to its parent's current state.")
    static final class Reset extends ApiCommand {
        @Parameters(index = "0", description = "Branch id or name.")
        String branch;

        @Option(names = "--parent", description = "Reset to the parent (the only kind of reset; accepted for neonctl habits).")
        boolean parent;

        @Option(names = "--preserve-under-name", description = "Keep the branch's current state as a new branch with this name.")
        String preserve;

        @Override
        void run(Session s) {
            JsonObject b = s.branch(branch);
            String parentId = b.getString("parent_id");
            if (parentId == null) throw new CliError(CliError.USAGE, "branch " + branch + " has no parent to reset to");
            JsonObject body = new JsonObject().put("source_branch_id", parentId);
            if (preserve != null) body.put("preserve_under_name", preserve);
            JsonObject r = s.api.post(s.projectPath() + "/branches/" + b.getString("id") + "/restore", body);
            s.await(r);
            show(s, r, current(s, b));
        }
    }

    @Command(name = "restore", mixinStandardHelpOptions = true,
            description = "Restore a branch from a source: ^self, ^parent or a branch, optionally @<timestamp> or @<lsn>.")
    static final class Restore extends ApiCommand {
        @Parameters(index = "0", description = "Target branch id or name.")
        String target;

        @Parameters(index = "1", description = "Source: ^self@2026-11-25T10:00:00Z, ^parent, main@0/1E3F2A8, ...")
        String source;

        @Option(names = "--preserve-under-name", description = "Keep the target's current state as a new branch with this name.")
        String preserve;

        @Override
        void run(Session s) {
            JsonObject t = s.branch(target);
            int at = source.lastIndexOf('@');
            String from = at < 0 ? source : source.substring(0, at);
            String point = at < 0 ? null : source.substring(at + 1);
            String sourceId = switch (from) {
                case "^self" -> t.getString("id");
                case "^parent" -> {
                    String p = t.getString("parent_id");
                    if (p == null) throw new CliError(CliError.USAGE, "branch " + target + " has no parent");
                    yield p;
                }
                default -> s.branch(from).getString("id");
            };
            JsonObject body = new JsonObject().put("source_branch_id", sourceId);
            if (point != null) body.put(point.matches("[0-9A-Fa-f]+/[0-9A-Fa-f]+") ? "source_lsn" : "source_timestamp", point);
            if (preserve != null) body.put("preserve_under_name", preserve);
            JsonObject r = s.api.post(s.projectPath() + "/branches/" + t.getString("id") + "/restore", body);
            s.await(r);
            show(s, r, current(s, t));
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a branch and its endpoints.")
    static final class Delete extends ApiCommand {
        @Parameters(index = "0", description = "Branch id or name.")
        String branch;

        @Override
        void run(Session s) {
            JsonObject b = s.branch(branch);
            JsonObject r = s.api.delete(s.projectPath() + "/branches/" + b.getString("id"));
            s.await(r);
            if (s.json) s.printJson(r);
            else s.out.println("deleted branch " + b.getString("name") + " (" + b.getString("id") + ")");
        }
    }
}
