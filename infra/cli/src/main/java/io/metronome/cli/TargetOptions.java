package io.metronome.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;

/** Where a command works: {@code --local [--data-dir DIR]} or {@code --stack NAME [--region R]}. */
final class TargetOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = "--local", description = "the stack ./run-local is running (found through its data directory)")
    boolean local;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "with --local: the data directory that ./run-local was given (default: .metronome)")
    Path dataDir;

    @Option(names = "--stack", paramLabel = "NAME",
            description = "a stack deployed with SAM, found through its outputs with the default AWS credentials")
    String stack;

    @Option(names = "--region", paramLabel = "R", description = "with --stack: its region (default: the SDK's, e.g. AWS_REGION)")
    String region;

    Target open() {
        if (local == (stack != null)) {
            throw new ParameterException(command.commandLine(), local
                    ? "--local and --stack cannot be used together" : "say where: --local or --stack NAME");
        }
        if (local && region != null) {
            throw new ParameterException(command.commandLine(), "--region goes with --stack, not --local");
        }
        if (stack != null && dataDir != null) {
            throw new ParameterException(command.commandLine(), "--data-dir goes with --local, not --stack");
        }
        return local ? LocalTarget.open(dataDir == null ? Path.of(".metronome") : dataDir) : StackTarget.open(stack, region);
    }
}
