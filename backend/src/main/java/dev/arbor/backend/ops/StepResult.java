package dev.arbor.backend.ops;

/** How a step ended when it did not throw. */
public sealed interface StepResult {
    record Done() implements StepResult {}
    /** Nothing to do, or nothing that can be done here (e.g. no compute); the reason is shown as the operation's error. */
    record Skipped(String reason) implements StepResult {}

    StepResult DONE = new Done();

    static StepResult skipped(String reason) { return new Skipped(reason); }
}
