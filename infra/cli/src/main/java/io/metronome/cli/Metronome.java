package io.metronome.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * {@code ./metronome}: an administrator's commands, against a deployed stack or the local stack. Exit status 0 when
 * done, 1 when the command could not be carried out, 2 for a usage error.
 */
@Command(name = "metronome", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
        version = "metronome 0.1.0",
        description = "Administers Metronome on AWS (--stack NAME) or on the stack ./run-local runs (--local).",
        subcommands = {KeysCommand.class, DlqCommand.class})
public final class Metronome implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "name a command: keys or dlq");
    }

    public static void main(String[] args) {
        // Standard output is the command's answer (a key, JSON lines): the SDK's and the engine's log lines, which
        // the functions write to standard output for Lambda, go to standard error here.
        io.metronome.observe.Output.logsTo(event -> System.err.println(event.line()));
        System.exit(run(args, System.out, System.err));
    }

    /** Runs a command line, writing to the given streams; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        PrintWriter errors = new PrintWriter(new java.io.OutputStreamWriter(err, StandardCharsets.UTF_8), true);
        CommandLine line = new CommandLine(new Metronome())
                .setOut(new PrintWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), true))
                .setErr(errors)
                .setExecutionExceptionHandler((e, command, parsed) -> {
                    errors.println("metronome: " + message(e));
                    return 1;
                });
        try {
            return line.execute(args);
        } finally {
            line.getOut().flush();
            errors.flush();
        }
    }

    private static String message(Exception e) {
        if (e instanceof AwsServiceException aws && aws.awsErrorDetails() != null) {
            return aws.awsErrorDetails().serviceName() + " refused: " + aws.awsErrorDetails().errorMessage()
                    + " (" + aws.awsErrorDetails().errorCode() + ")";
        }
        if (e instanceof SdkException) {
            return "an AWS call failed: " + e.getMessage();
        }
        return e instanceof CommandFailed ? e.getMessage() : e.toString();
    }
}
