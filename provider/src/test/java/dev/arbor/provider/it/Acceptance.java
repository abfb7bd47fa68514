package dev.arbor.provider.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbor.provider.client.ApiException;
import dev.arbor.provider.client.ArborApi;
import dev.arbor.provider.client.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** Shared steps of the per-resource acceptance tests (terraform CLI + real Arbor server). */
public abstract class Acceptance {
    public static final String HEADER = """
            terraform {
              required_providers {
                arbor = { source = "arbordb/arbor" }
              }
            }
            provider "arbor" {}
            """;

    protected final String suffix = Long.toString(System.nanoTime() % 1_000_000_000L, 36);

    protected ArborBackend backend() throws Exception {
        return ArborBackend.get();
    }

    protected ArborApi api() {
        try {
            return backend().api();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    protected Terraform.Result tf(Path ws, String... args) throws Exception {
        return Terraform.run(ws, backend().env(), args);
    }

    protected Terraform.Result apply(Path ws) throws Exception {
        return tf(ws, "apply", "-auto-approve").ok();
    }

    /** A plan that must find nothing to do (terraform plan -detailed-exitcode == 0). */
    protected void assertNoChanges(Path ws) throws Exception {
        Terraform.Result r = tf(ws, "plan", "-detailed-exitcode");
        assertThat(r.exit()).as("expected an empty plan, got:\n%s", r.all()).isZero();
    }

    /** A plan that must propose changes (exit 2); returns its output. */
    protected String planChanges(Path ws) throws Exception {
        Terraform.Result r = tf(ws, "plan", "-detailed-exitcode");
        assertThat(r.exit()).as("expected a plan with changes, got:\n%s", r.all()).isEqualTo(2);
        return r.out();
    }

    /** Attributes of a resource instance in the workspace's state file. */
    @SuppressWarnings("unchecked")
    protected Map<String, Object> state(Path ws, String type, String name) throws Exception {
        Map<String, Object> st = (Map<String, Object>) Json.parse(Files.readString(ws.resolve("terraform.tfstate")));
        for (Object o : (List<Object>) st.get("resources")) {
            Map<String, Object> r = (Map<String, Object>) o;
            if (type.equals(r.get("type")) && name.equals(r.get("name")) && "managed".equals(r.get("mode"))) {
                return (Map<String, Object>) ((Map<String, Object>) ((List<Object>) r.get("instances")).getFirst())
                        .get("attributes");
            }
        }
        throw new AssertionError(type + "." + name + " is not in the state of " + ws);
    }

    protected static String str(Map<String, Object> attrs, String key) {
        Object v = attrs.get(key);
        return v == null ? null : v.toString();
    }

    /** True when a GET answers 404. */
    protected static boolean gone(Supplier<Object> get) {
        try {
            get.get();
            return false;
        } catch (ApiException e) {
            if (e.notFound()) {
                return true;
            }
            throw e;
        }
    }
}
