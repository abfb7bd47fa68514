package dev.arbor.backend.cli;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** A command that talks to the HTTP API: errors become {@code arbor: <message>} on stderr and an exit code. */
abstract class ApiCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Spec
    CommandSpec spec;

    @Override
    public final Integer call() {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        try {
            run(new Session(client, out, err));
            out.flush();
            return 0;
        } catch (CliError e) {
            out.flush();
            err.println("arbor: " + e.getMessage());
            err.flush();
            return e.exitCode();
        }
    }

    abstract void run(Session s);
}
