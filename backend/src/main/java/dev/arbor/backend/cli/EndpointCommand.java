package dev.arbor.backend.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code arbor endpoint start|suspend <endpoint-id | branch>}. */
@Command(name = "endpoint", mixinStandardHelpOptions = true, description = "Start or suspend a compute endpoint.",
        subcommands = {EndpointCommand.Start.class, EndpointCommand.Suspend.class})
public final class EndpointCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    abstract static class Transition extends ApiCommand {
        @Parameters(index = "0", description = "Endpoint id (ep-...), or a branch id or name (its read_write endpoint).")
        String target;

        abstract String verb();

        @Override
        void run(Session s) {
            String id = target.startsWith("ep-") ? target : endpointOf(s, s.branch(target));
            JsonObject r = s.api.post(s.projectPath() + "/endpoints/" + id + "/" + verb(), new JsonObject());
            s.await(r);
            JsonObject e = s.api.get(s.projectPath() + "/endpoints/" + id).getJsonObject("endpoint");
            if (s.json) {
                s.printJson(new JsonObject().put("endpoint", e).put("operations", r.getJsonArray("operations", new JsonArray())));
                return;
            }
            new Table("ID", "BRANCH", "TYPE", "STATE", "HOST").row(e.getString("id"), e.getString("branch_id"), e.getString("type"),
                    e.getString("current_state"), e.getString("host")).print(s.out);
        }

        private static String endpointOf(Session s, JsonObject branch) {
            JsonArray eps = s.api.get(s.projectPath() + "/branches/" + branch.getString("id") + "/endpoints").getJsonArray("endpoints", new JsonArray());
            JsonObject pick = null;
            for (int i = 0; i < eps.size(); i++) {
                JsonObject e = eps.getJsonObject(i);
                if (pick == null || "read_write".equals(e.getString("type"))) pick = e;
            }
            if (pick == null) throw new CliError(CliError.USAGE, "branch " + branch.getString("name") + " has no endpoint");
            return pick.getString("id");
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Start an endpoint and wait until it runs.")
    static final class Start extends Transition {
        @Override String verb() { return "start"; }
    }

    @Command(name = "suspend", mixinStandardHelpOptions = true, description = "Suspend an endpoint (it wakes again on connect).")
    static final class Suspend extends Transition {
        @Override String verb() { return "suspend"; }
    }
}
